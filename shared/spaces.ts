/** Spaces as Gymnasium names them. Plain data so they travel in a handshake unchanged. */
export type BoxSpace = {
  readonly kind: 'box';
  readonly shape: readonly [number];
  readonly low: number;
  readonly high: number;
};

export type DiscreteSpace = {
  readonly kind: 'discrete';
  readonly n: number;
};

export type Space = BoxSpace | DiscreteSpace;

export function box(size: number, low = Number.NEGATIVE_INFINITY, high = Number.POSITIVE_INFINITY): BoxSpace {
  return Object.freeze({ kind: 'box', shape: Object.freeze([size]) as readonly [number], low, high });
}

export function discrete(n: number): DiscreteSpace {
  return Object.freeze({ kind: 'discrete', n });
}
