/**
 * How an agent's observation is built: an ordered list of blocks, each a fixed number of rows of
 * named features. A scenario fills one raw table per agent per step in this layout; views
 * (server/views) pick rows and features out of it. The teacher's full view is the raw table
 * itself, so each scenario lays its blocks out in the exact order of the reference
 * (PettingZoo/MPE2 or SMAC) observation.
 */
export type ObservationBlock = {
  /** Stable name used by view specs: 'self', 'landmarks', 'agents', 'enemies', 'allies', ... */
  readonly name: string;
  readonly rows: number;
  readonly features: readonly string[];
  /**
   * Spatial rows describe another entity: they carry a distance and can be hidden by a sight
   * radius or dropped by a k-nearest filter. Non-spatial blocks (own features, comm heard) are
   * always seen whole.
   */
  readonly spatial: boolean;
};

export type ObservationLayout = {
  readonly blocks: readonly ObservationBlock[];
  /** Offset of each block in the raw table, in floats. */
  readonly offsets: readonly number[];
  readonly size: number;
};

export function makeLayout(blocks: readonly ObservationBlock[]): ObservationLayout {
  const offsets: number[] = [];
  let size = 0;
  for (const block of blocks) {
    offsets.push(size);
    size += block.rows * block.features.length;
  }
  return Object.freeze({ blocks: Object.freeze([...blocks]), offsets: Object.freeze(offsets), size });
}

/**
 * One agent's raw observation table for the current step, reused across steps.
 * `values` follows the layout; for spatial blocks `distance[rowIndex]` is the distance from the
 * observer to the row's entity and `present[rowIndex]` says whether the entity exists and is alive
 * (rows of dead or absent entities are zero in every view). Row indices count rows over all blocks
 * in layout order.
 */
export class RawObservation {
  readonly layout: ObservationLayout;
  readonly values: Float32Array;
  readonly distance: Float32Array;
  readonly present: Uint8Array;
  /** First global row index of each block. */
  readonly rowStart: readonly number[];

  constructor(layout: ObservationLayout) {
    this.layout = layout;
    this.values = new Float32Array(layout.size);
    let rows = 0;
    const rowStart: number[] = [];
    for (const block of layout.blocks) {
      rowStart.push(rows);
      rows += block.rows;
    }
    this.rowStart = rowStart;
    this.distance = new Float32Array(rows);
    this.present = new Uint8Array(rows).fill(1);
  }
}
