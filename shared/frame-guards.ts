/** Hot-path checks of incoming frames (no zod per tick): action frames, distributions, actions. */
import { FRAME } from './protocol.ts';

/**
 * The per-tick action frame guard (no zod on the hot path): returns the tick, or -1 when the
 * value is not an action frame for `slotCount` slots (whose action counts sum to
 * `probabilityCount`, the length the optional distributions element must have). Actions are read by the caller.
 */
export function actionFrameTick(value: unknown, slotCount: number, probabilityCount = -1): number {
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4) || value[0] !== FRAME.act) return -1;
  const tick = value[1];
  if (typeof tick !== 'number' || !Number.isInteger(tick) || tick < 0) return -1;
  // Distributions: exactly the held slots' action counts, as a Float32Array (values are sanitised by the reader).
  if (value.length === 4 && !(value[3] instanceof Float32Array && value[3].length === probabilityCount)) return -1;
  const actions = value[2] as unknown;
  if (actions instanceof Int16Array || actions instanceof Int32Array) return actions.length === slotCount ? tick : -1;
  if (!Array.isArray(actions) || actions.length !== slotCount) return -1;
  for (let i = 0; i < actions.length; i++) if (typeof actions[i] !== 'number') return -1;
  return tick;
}

/**
 * Copy one slot's action distribution from the wire into `out` with NaN, infinite and negative
 * values set to 0 and the rest renormalised; returns false (leaving `out` zeroed) when nothing
 * positive remains.
 */
export function readDistribution(wire: Float32Array, from: number, count: number, out: Float32Array, to: number): boolean {
  let sum = 0;
  for (let a = 0; a < count; a++) {
    const v = wire[from + a];
    const p = Number.isFinite(v) && v > 0 ? v : 0;
    out[to + a] = p;
    sum += p;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    out.fill(0, to, to + count);
    return false;
  }
  for (let a = 0; a < count; a++) out[to + a] /= sum;
  return true;
}

/** Clamp a wire number into an action index or -1 (no answer): NaN, fractions and out-of-range become -1. */
export function wireAction(value: number, actionCount: number): number {
  return Number.isInteger(value) && value >= 0 && value < actionCount ? value : -1;
}
