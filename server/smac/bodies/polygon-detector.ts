import type { ContactPairs } from './contact-pairs.ts';
import { collide, type Contact } from './polygon-collision.ts';
import type { PolygonState } from './polygon-state.ts';

/**
 * Matter.Detector for the units' bodies: its own list of bodies, re-sorted in place by the left
 * edge of their bounds on every detection. The sort is stable (as Array.prototype.sort is), so
 * bodies with equal edges keep their earlier order, which is why the list persists between
 * updates: it decides the order pairs are found in, and so the solver's order.
 */
export class PolygonDetector {
  private readonly order: Int32Array;
  private length = 0;
  private readonly contact: Contact = { lower: 0, higher: 0, normalX: 0, normalY: 0, depth: 0, supportCount: 0 };

  constructor(n: number) {
    this.order = new Int32Array(n);
  }

  /** Detector.setBodies. */
  setBodies(bodies: Int32Array, count: number): void {
    this.order.set(bodies.subarray(0, count));
    this.length = count;
  }

  /** Detector.clear. */
  clear(): void {
    this.length = 0;
  }

  /**
   * Detector.collisions then Pairs.update: sort by left edge, sweep along x, test the bodies of
   * the same layer whose bounds overlap, and record each collision in `pairs`.
   */
  collisions(s: PolygonState, pairs: ContactPairs): void {
    const { order, length, contact } = this;
    const { minX, maxX, minY, maxY, layer } = s;
    // Insertion sort: stable, so the same result as matter-js' Array.prototype.sort.
    for (let i = 1; i < length; i++) {
      const u = order[i];
      const key = minX[u];
      let j = i - 1;
      while (j >= 0 && minX[order[j]] > key) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = u;
    }
    for (let i = 0; i < length; i++) {
      const a = order[i];
      const aMaxX = maxX[a];
      const aMaxY = maxY[a];
      const aMinY = minY[a];
      const aLayer = layer[a];
      for (let j = i + 1; j < length; j++) {
        const b = order[j];
        if (minX[b] > aMaxX) break;
        if (aMaxY < minY[b] || aMinY > maxY[b]) continue;
        if (layer[b] !== aLayer) continue;
        if (collide(s, a, b, contact)) pairs.record(contact);
      }
    }
    pairs.retire();
  }
}
