import { Packr } from 'msgpackr';

/**
 * The one msgpackr configuration used on every wire and in every msgpack file. `moreTypes: true`
 * is required: without it msgpackr 2.x silently corrupts Float32Array values. Typed arrays travel
 * as typed arrays. No shared `structures`: `sequential` with `structures: []` makes the decoder throw.
 */
export function createPackr(): Packr {
  return new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true });
}

const shared = createPackr();

export function encode(value: unknown): Buffer {
  return shared.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return shared.unpack(bytes);
}
