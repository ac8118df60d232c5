import type { Contact } from './polygon-collision.ts';

/**
 * Matter.Pairs for bodies that never sleep: the list of touching pairs in matter-js' order (a pair
 * keeps its place while it stays in contact, new ones are appended in detection order, and the
 * position solver accumulates impulses in this order, so it decides the rounding), each with the
 * normal, depth and contact count of its latest collision.
 */
export class ContactPairs {
  private readonly n: number;
  /** Index in the list of the pair (lower, higher) at lower * n + higher, or -1. */
  private readonly table: Int32Array;
  length = 0;
  readonly lower: Int32Array;
  readonly higher: Int32Array;
  readonly normalX: Float64Array;
  readonly normalY: Float64Array;
  readonly depth: Float64Array;
  readonly contactCount: Float64Array;
  /** Scratch of the position solver (pair.separation). */
  readonly separation: Float64Array;
  /** Whether the pair was found by this update's detection (matter-js: timeUpdated >= timestamp). */
  private readonly found: Uint8Array;

  constructor(n: number) {
    this.n = n;
    const capacity = Math.max(1, (n * (n - 1)) / 2);
    this.table = new Int32Array(n * n).fill(-1);
    this.lower = new Int32Array(capacity);
    this.higher = new Int32Array(capacity);
    this.normalX = new Float64Array(capacity);
    this.normalY = new Float64Array(capacity);
    this.depth = new Float64Array(capacity);
    this.contactCount = new Float64Array(capacity);
    this.separation = new Float64Array(capacity);
    this.found = new Uint8Array(capacity);
  }

  /** Pairs.clear. */
  clear(): void {
    for (let p = 0; p < this.length; p++) this.table[this.lower[p] * this.n + this.higher[p]] = -1;
    this.length = 0;
  }

  /** Pairs.update for one collision: update the pair in place, or append it. */
  record(contact: Contact): void {
    const key = contact.lower * this.n + contact.higher;
    let p = this.table[key];
    if (p < 0) {
      p = this.length++;
      this.table[key] = p;
      this.lower[p] = contact.lower;
      this.higher[p] = contact.higher;
    }
    this.normalX[p] = contact.normalX;
    this.normalY[p] = contact.normalY;
    this.depth[p] = contact.depth;
    this.contactCount[p] = contact.supportCount;
    this.found[p] = 1;
  }

  /** The end of Pairs.update: drop the pairs this update did not find, keeping the others' order. */
  retire(): void {
    let kept = 0;
    for (let p = 0; p < this.length; p++) {
      const key = this.lower[p] * this.n + this.higher[p];
      if (this.found[p] === 0) {
        this.table[key] = -1;
        continue;
      }
      this.found[p] = 0;
      if (kept !== p) {
        this.lower[kept] = this.lower[p];
        this.higher[kept] = this.higher[p];
        this.normalX[kept] = this.normalX[p];
        this.normalY[kept] = this.normalY[p];
        this.depth[kept] = this.depth[p];
        this.contactCount[kept] = this.contactCount[p];
        this.table[key] = kept;
      }
      kept++;
    }
    this.length = kept;
  }
}
