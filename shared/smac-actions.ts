/**
 * SMAC's action layout: no-op (dead units only), stop, the four moves, then one attack (or heal)
 * action per target. Here rather than in server/smac so agent processes need no server code.
 */
export const ACTION = { noop: 0, stop: 1, north: 2, south: 3, east: 4, west: 5, firstTarget: 6 } as const;
