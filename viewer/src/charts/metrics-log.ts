/**
 * A growing metrics.jsonl held as columns: one x (`step`) and one column per numeric key, with
 * null where a line did not report that key (uPlot draws gaps there). Text arrives in chunks
 * (a tail of a file being written), so a trailing partial line waits for its end.
 */
export class MetricsLog {
  readonly steps: number[] = [];
  readonly columns = new Map<string, (number | null)[]>();
  /** Lines that were not JSON objects with a numeric step, with why (first few kept). */
  readonly rejected: string[] = [];
  rejectedCount = 0;
  private pending = '';
  private lineNumber = 0;
  /** The trainer writes `global_step` (env steps); other logs (CleanRL-style) use `step`: either is read. */
  static readonly X_KEYS = ['global_step', 'step'] as const;
  /** Bookkeeping columns not worth a chart of their own. */
  static readonly SKIPPED = new Set(['global_step', 'step', 'update']);
  xKey = 'global_step';

  /** Feed the next chunk of text; returns how many rows it added. */
  append(text: string): number {
    const data = this.pending + text;
    const lines = data.split('\n');
    this.pending = lines.pop() ?? '';
    let added = 0;
    for (const line of lines) {
      this.lineNumber++;
      if (line.trim() === '') continue;
      if (this.addLine(line)) added++;
    }
    return added;
  }

  private reject(why: string): false {
    this.rejectedCount++;
    if (this.rejected.length < 5) this.rejected.push(`line ${this.lineNumber}: ${why}`);
    return false;
  }

  private addLine(line: string): boolean {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return this.reject('not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.reject('not a JSON object');
    const record = value as Record<string, unknown>;
    const xKey = MetricsLog.X_KEYS.find((k) => typeof record[k] === 'number' && Number.isFinite(record[k]));
    if (!xKey) return this.reject(`no numeric ${MetricsLog.X_KEYS.join(' or ')}`);
    const row = this.steps.length;
    if (row === 0) this.xKey = xKey;
    this.steps.push(record[xKey] as number);
    for (const [key, v] of Object.entries(record)) {
      if (MetricsLog.SKIPPED.has(key) || typeof v !== 'number' || !Number.isFinite(v)) continue;
      let column = this.columns.get(key);
      if (!column) {
        column = new Array<number | null>(row).fill(null);
        this.columns.set(key, column);
      }
      column.push(v);
    }
    for (const column of this.columns.values()) if (column.length === row) column.push(null);
    return true;
  }

  /** The curves people open the page for come first. */
  static readonly HEADLINE = ['charts/episode_return', 'charts/win_rate', 'eval/return', 'eval/win_rate', 'charts/teacher_agreement'];

  /** Keys in a stable order: headline curves, then `charts/`, `eval/`, other namespaces, bare names. */
  keys(): string[] {
    const rank = (k: string): number => {
      const headline = MetricsLog.HEADLINE.indexOf(k);
      if (headline >= 0) return headline - 100;
      return k.startsWith('charts/') ? 0 : k.startsWith('eval/') ? 1 : k.includes('/') ? 2 : 3;
    };
    return [...this.columns.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}
