import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fromRoot } from '../../../shared/paths.ts';

/** The native addon's functions (native/src/binding.c); every array is written in place. */
export type NativeKernels = {
  /** Why OpenBLAS could not be opened, or null. */
  readonly blasError: string | null;
  /** The OpenBLAS kernel set in use ('SkylakeX', 'Haswell', ...). */
  readonly blasCore: string;
  /** Element counts of [parameters, forward workspace, backward scratch] of a net for `rows` rows. */
  sizes(sizes: Int32Array, layerNorm: number, rows: number): [number, number, number];
  forward(sizes: Int32Array, layerNorm: number, params: Float32Array, x: Float32Array, rows: number, workspace: Float32Array): void;
  backward(sizes: Int32Array, layerNorm: number, params: Float32Array, grads: Float32Array, x: Float32Array, rows: number, workspace: Float32Array, dOut: Float32Array, scratch: Float32Array): void;
  policyGrad(logits: Float32Array, maskAdd: Float32Array, actions: Int32Array, oldLogp: Float32Array, adv: Float32Array, active: Float32Array, rows: number, actionCount: number, clip: number, entropyCoef: number, dLogits: Float32Array, stats: Float64Array): void;
  valueGrad(values: Float32Array, targets: Float32Array, oldValues: Float32Array, active: Float32Array, rows: number, huberDelta: number, clip: number, valueClip: number, coef: number, dValues: Float32Array, stats: Float64Array): void;
  sumSquares(x: Float32Array, n: number): number;
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, gradScale: number, beta1: number, beta2: number, stepSize: number, epsHat: number): void;
  gatherRows(src: Float32Array, width: number, index: Int32Array, dst: Float32Array): void;
  /** Sets OpenBLAS' thread count when n > 0; returns the count in use. */
  setThreads(n: number): number;
};

/** Where scripts/build-native.mjs puts the addon, found from the project root (sources and dist/ alike). */
export const NATIVE_ADDON_PATH = fromRoot('native', 'build', 'Release', 'kdmarl_native.node');

let loaded: { kernels: NativeKernels | null; reason: string | null } | null = null;

function load(): { kernels: NativeKernels | null; reason: string | null } {
  if (loaded) return loaded;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    loaded = { kernels: null, reason: `the native learner is not built (${NATIVE_ADDON_PATH} missing: run npm run build:native, which needs a C compiler)` };
    return loaded;
  }
  try {
    const kernels = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeKernels;
    loaded = kernels.blasError ? { kernels: null, reason: `the native learner cannot run: ${kernels.blasError}` } : { kernels, reason: null };
  } catch (error) {
    loaded = { kernels: null, reason: `the native learner failed to load (${(error as Error).message.split('\n')[0]}): rebuild it with npm run build:native` };
  }
  return loaded;
}

/** Null when the fast learner can run here, else one line saying why not. */
export function fastLearnerAvailable(): string | null {
  return load().reason;
}

/** The loaded kernels; throws the reason when they are unavailable. */
export function nativeKernels(): NativeKernels {
  const { kernels, reason } = load();
  if (!kernels) throw new Error(reason ?? 'the native learner is unavailable');
  return kernels;
}

/**
 * OpenBLAS threads of the native learner's matrix products (1 when loaded, the per-core figure);
 * returns the count now in use. Data-parallel learners in several threads keep 1 each.
 */
export function setFastLearnerThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`fast learner threads: expected a positive integer, got ${threads}`);
  return nativeKernels().setThreads(threads);
}
