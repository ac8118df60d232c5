import type { ContactPairs } from './contact-pairs.ts';
import { BASE_DELTA_MS, type PolygonState } from './polygon-state.ts';

/** Resolver._positionDampen. */
const POSITION_DAMPEN = 0.9;
/** Resolver._positionWarming: the share of a body's position impulse carried into the next update. */
const POSITION_WARMING = 0.8;

/**
 * Resolver.preSolvePosition then `iterations` of Resolver.solvePosition, for pairs of dynamic,
 * awake, non-sensor bodies: each iteration measures every pair's separation from the impulses
 * so far, then pushes both bodies apart along the normal, shared among their contacts.
 */
export function solvePositions(s: PolygonState, pairs: ContactPairs, iterations: number, deltaMs: number, damping: number): void {
  const { lower, higher, normalX, normalY, depth, contactCount, separation } = pairs;
  const { impulseX, impulseY, totalContacts } = s;
  const length = pairs.length;
  for (let p = 0; p < length; p++) {
    totalContacts[lower[p]] += contactCount[p];
    totalContacts[higher[p]] += contactCount[p];
  }
  const positionDampen = POSITION_DAMPEN * (damping || 1);
  const ratio = deltaMs / BASE_DELTA_MS;
  // Common.clamp(delta / Common._baseDelta, 0, 1)
  const slopDampen = ratio < 0 ? 0 : ratio > 1 ? 1 : ratio;
  const slop = s.slop * slopDampen;
  for (let it = 0; it < iterations; it++) {
    for (let p = 0; p < length; p++) {
      const a = lower[p];
      const b = higher[p];
      separation[p] = depth[p] + normalX[p] * (impulseX[b] - impulseX[a]) + normalY[p] * (impulseY[b] - impulseY[a]);
    }
    for (let p = 0; p < length; p++) {
      const a = lower[p];
      const b = higher[p];
      const nx = normalX[p];
      const ny = normalY[p];
      const positionImpulse = separation[p] - slop;
      let contactShare = positionDampen / totalContacts[a];
      impulseX[a] += nx * positionImpulse * contactShare;
      impulseY[a] += ny * positionImpulse * contactShare;
      contactShare = positionDampen / totalContacts[b];
      impulseX[b] -= nx * positionImpulse * contactShare;
      impulseY[b] -= ny * positionImpulse * contactShare;
    }
  }
}

/**
 * Resolver.postSolvePosition over the bodies in the world: move each by its accumulated impulse
 * (its previous position too, so its velocity is unchanged), then keep 80% of the impulse for the
 * next update unless it points against the body's velocity.
 */
export function applyPositionImpulses(s: PolygonState, bodies: Int32Array, count: number): void {
  const { impulseX, impulseY, totalContacts, x, y, prevX, prevY, velocityX, velocityY } = s;
  for (let i = 0; i < count; i++) {
    const u = bodies[i];
    totalContacts[u] = 0;
    const ix = impulseX[u];
    const iy = impulseY[u];
    if (ix === 0 && iy === 0) continue;
    s.translate(u, ix, iy);
    x[u] += ix;
    y[u] += iy;
    prevX[u] += ix;
    prevY[u] += iy;
    if (ix * velocityX[u] + iy * velocityY[u] < 0) {
      impulseX[u] = 0;
      impulseY[u] = 0;
    } else {
      impulseX[u] = ix * POSITION_WARMING;
      impulseY[u] = iy * POSITION_WARMING;
    }
  }
}
