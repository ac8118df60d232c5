import type { ObservationLayout, RawObservation } from '../env/layout.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';

type CompiledBlock = {
  readonly name: string;
  readonly spatial: boolean;
  /** Raw offset of the block and its row stride. */
  readonly rawOffset: number;
  readonly rawStride: number;
  readonly firstRow: number;
  readonly rawRows: number;
  /** Rows written to the output (k for a nearest filter). */
  readonly outRows: number;
  readonly nearest: boolean;
  /** Indices of the kept features within a raw row. */
  readonly featureIndex: Int32Array;
};

/**
 * A view compiled against one agent's layout. `write` copies the agent's raw table into an
 * observation vector without allocating. Unknown block or feature names throw at compile time,
 * so a profile asking for something the scenario cannot provide fails before training starts.
 */
export class ObservationView {
  readonly size: number;
  readonly spec: ViewSpec;
  readonly isFull: boolean;
  /** Feature labels of the output vector, e.g. 'enemies[0].health'. */
  readonly labels: readonly string[];
  private readonly blocks: readonly CompiledBlock[];
  private readonly sight: number;
  private readonly order: Int32Array;
  private readonly orderDistance: Float32Array;

  constructor(layout: ObservationLayout, spec: ViewSpec, where = 'view') {
    this.spec = spec;
    this.sight = spec.sight ?? Number.POSITIVE_INFINITY;
    const names = layout.blocks.map((b) => b.name);
    const wanted = spec.blocks ?? names;
    for (const name of wanted) {
      if (!names.includes(name)) throw new Error(`${where}.blocks: unknown block '${name}' (available: ${names.join(', ')})`);
    }
    for (const name of Object.keys(spec.nearest ?? {})) {
      const block = layout.blocks.find((b) => b.name === name);
      if (!block) throw new Error(`${where}.nearest: unknown block '${name}' (available: ${names.join(', ')})`);
      if (!block.spatial) throw new Error(`${where}.nearest: block '${name}' is not spatial, so it has no nearest rows`);
    }
    for (const name of Object.keys(spec.features ?? {})) {
      if (!names.includes(name)) throw new Error(`${where}.features: unknown block '${name}' (available: ${names.join(', ')})`);
    }
    const blocks: CompiledBlock[] = [];
    const labels: string[] = [];
    let firstRow = 0;
    let maxRows = 0;
    layout.blocks.forEach((block, b) => {
      const rowStartHere = firstRow;
      firstRow += block.rows;
      if (!wanted.includes(block.name)) return;
      const featureNames = spec.features?.[block.name] ?? block.features;
      const featureIndex = Int32Array.from(
        featureNames.map((f) => {
          const i = block.features.indexOf(f);
          if (i < 0) throw new Error(`${where}.features.${block.name}: unknown feature '${f}' (available: ${block.features.join(', ')})`);
          return i;
        }),
      );
      const k = spec.nearest?.[block.name];
      const outRows = k === undefined ? block.rows : Math.min(k, block.rows);
      maxRows = Math.max(maxRows, block.rows);
      blocks.push({
        name: block.name,
        spatial: block.spatial,
        rawOffset: layout.offsets[b],
        rawStride: block.features.length,
        firstRow: rowStartHere,
        rawRows: block.rows,
        outRows,
        nearest: k !== undefined,
        featureIndex,
      });
      for (let r = 0; r < outRows; r++) {
        const rowLabel = block.rows === 1 && !block.spatial ? block.name : `${block.name}[${k === undefined ? r : `nearest ${r}`}]`;
        for (const f of featureIndex) labels.push(`${rowLabel}.${block.features[f]}`);
      }
    });
    this.blocks = blocks;
    this.labels = labels;
    this.size = labels.length;
    this.order = new Int32Array(maxRows);
    this.orderDistance = new Float32Array(maxRows);
    this.isFull =
      spec.sight === undefined &&
      spec.nearest === undefined &&
      spec.blocks === undefined &&
      spec.features === undefined;
  }

  /** Write the view of `raw` at `out[offset ..]`; a dead observer sees zeros. */
  write(raw: RawObservation, alive: boolean, out: Float32Array, offset: number): void {
    if (!alive) {
      out.fill(0, offset, offset + this.size);
      return;
    }
    if (this.isFull) {
      out.set(raw.values, offset);
      return;
    }
    const values = raw.values;
    let o = offset;
    for (const block of this.blocks) {
      const features = block.featureIndex;
      const nf = features.length;
      if (block.nearest) {
        // Insertion sort of the visible rows by distance: blocks have at most a few dozen rows.
        let n = 0;
        for (let r = 0; r < block.rawRows; r++) {
          const g = block.firstRow + r;
          const d = raw.distance[g];
          if (raw.present[g] === 0 || !(d <= this.sight)) continue;
          let j = n++;
          while (j > 0 && this.orderDistance[j - 1] > d) {
            this.order[j] = this.order[j - 1];
            this.orderDistance[j] = this.orderDistance[j - 1];
            j--;
          }
          this.order[j] = r;
          this.orderDistance[j] = d;
        }
        for (let k = 0; k < block.outRows; k++) {
          if (k < n) {
            const base = block.rawOffset + this.order[k] * block.rawStride;
            for (let f = 0; f < nf; f++) out[o++] = values[base + features[f]];
          } else {
            for (let f = 0; f < nf; f++) out[o++] = 0;
          }
        }
        continue;
      }
      for (let r = 0; r < block.rawRows; r++) {
        const g = block.firstRow + r;
        const visible = !block.spatial || (raw.present[g] !== 0 && raw.distance[g] <= this.sight);
        const base = block.rawOffset + r * block.rawStride;
        if (visible) for (let f = 0; f < nf; f++) out[o++] = values[base + features[f]];
        else for (let f = 0; f < nf; f++) out[o++] = 0;
      }
    }
  }
}
