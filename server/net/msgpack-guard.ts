/**
 * A structural pass over a msgpack frame before it is decoded: exactly one value filling the
 * frame, at most `maxElements` values in all, and no container announcing more elements than the
 * bytes left could hold. It allocates nothing and stops at the first problem, so a hostile frame
 * (millions of nils, trailing bytes, a 4-billion-element array header) costs at most `maxElements`
 * steps and is never decoded. Returns null for a well-formed frame, else why it is not.
 */
export function msgpackProblem(bytes: Uint8Array, maxElements: number): string | null {
  const length = bytes.length;
  let pos = 0;
  let remaining = 1;
  let elements = 0;
  while (remaining > 0) {
    if (pos >= length) return 'truncated msgpack value';
    if (++elements > maxElements) return `more than ${maxElements} msgpack values in one frame`;
    remaining--;
    const type = bytes[pos++];
    let skip = 0;
    let children = 0;
    if (type <= 0x7f || type >= 0xe0 || type === 0xc0 || type === 0xc2 || type === 0xc3) {
      skip = 0;
    } else if (type <= 0x8f) {
      children = 2 * (type & 0x0f);
    } else if (type <= 0x9f) {
      children = type & 0x0f;
    } else if (type <= 0xbf) {
      skip = type & 0x1f;
    } else {
      const header = HEADERS[type - 0xc0];
      if (header === undefined) return `byte 0x${type.toString(16)} is not msgpack`;
      if (pos + header.lengthBytes > length) return 'truncated msgpack value';
      const n = header.lengthBytes === 0 ? 0 : readLength(bytes, pos, header.lengthBytes);
      pos += header.lengthBytes;
      skip = header.fixed + (header.kind === 'bytes' ? n : 0);
      if (header.kind === 'array') children = n;
      else if (header.kind === 'map') children = 2 * n;
    }
    pos += skip;
    if (pos > length) return 'truncated msgpack value';
    remaining += children;
    // Every value takes at least one byte.
    if (remaining > length - pos) return 'truncated msgpack value';
  }
  return pos === length ? null : `${length - pos} bytes after the msgpack value`;
}

type Header = { lengthBytes: number; fixed: number; kind: 'scalar' | 'bytes' | 'array' | 'map' };

const scalar = (fixed: number): Header => ({ lengthBytes: 0, fixed, kind: 'scalar' });
const bytesOf = (lengthBytes: number, fixed = 0): Header => ({ lengthBytes, fixed, kind: 'bytes' });

/** Types 0xc0-0xdf: how many length bytes follow the type byte, fixed bytes after them, and what the length counts. */
const HEADERS: (Header | undefined)[] = [
  scalar(0), // c0 nil
  undefined, // c1 never used
  scalar(0), // c2 false
  scalar(0), // c3 true
  bytesOf(1), // c4 bin 8
  bytesOf(2), // c5 bin 16
  bytesOf(4), // c6 bin 32
  bytesOf(1, 1), // c7 ext 8 (length, then the type byte)
  bytesOf(2, 1), // c8 ext 16
  bytesOf(4, 1), // c9 ext 32
  scalar(4), // ca float 32
  scalar(8), // cb float 64
  scalar(1), // cc uint 8
  scalar(2), // cd uint 16
  scalar(4), // ce uint 32
  scalar(8), // cf uint 64
  scalar(1), // d0 int 8
  scalar(2), // d1 int 16
  scalar(4), // d2 int 32
  scalar(8), // d3 int 64
  scalar(2), // d4 fixext 1
  scalar(3), // d5 fixext 2
  scalar(5), // d6 fixext 4
  scalar(9), // d7 fixext 8
  scalar(17), // d8 fixext 16
  bytesOf(1), // d9 str 8
  bytesOf(2), // da str 16
  bytesOf(4), // db str 32
  { lengthBytes: 2, fixed: 0, kind: 'array' }, // dc array 16
  { lengthBytes: 4, fixed: 0, kind: 'array' }, // dd array 32
  { lengthBytes: 2, fixed: 0, kind: 'map' }, // de map 16
  { lengthBytes: 4, fixed: 0, kind: 'map' }, // df map 32
];

function readLength(bytes: Uint8Array, pos: number, size: number): number {
  if (size === 1) return bytes[pos];
  if (size === 2) return (bytes[pos] << 8) | bytes[pos + 1];
  return bytes[pos] * 0x1000000 + ((bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]);
}

/**
 * The bytes of the `key` entry of a frame holding one msgpack map (a frame msgpackProblem passed),
 * when that entry is a byte string: a msgpack bin, or msgpackr's typed-array extension holding a
 * Uint8Array. `start`-`end` is the whole encoded entry value and `bytes` a view of its content, so a
 * large byte string can be handed on without decoding it into a copy. Null when the frame is not a
 * map, has no such key, or the value is something else. A repeated key counts by its last entry, as
 * msgpackr decodes it.
 */
export function mapBytesEntry(frame: Uint8Array, key: string): { start: number; end: number; bytes: Uint8Array } | null {
  const type = frame[0];
  let entries: number;
  let pos: number;
  if (type >= 0x80 && type <= 0x8f) [entries, pos] = [type & 0x0f, 1];
  else if (type === 0xde) [entries, pos] = [readLength(frame, 1, 2), 3];
  else if (type === 0xdf) [entries, pos] = [readLength(frame, 1, 4), 5];
  else return null;
  const wanted = KEY_ENCODER.encode(key);
  let found: { start: number; end: number; bytes: Uint8Array } | null = null;
  for (let i = 0; i < entries; i++) {
    const keyEnd = valueEnd(frame, pos);
    const matches = isString(frame, pos, keyEnd, wanted);
    const end = valueEnd(frame, keyEnd);
    if (matches) found = byteString(frame, keyEnd, end);
    pos = end;
  }
  return found;
}

/** Where the value starting at `pos` ends, in a frame msgpackProblem passed. */
function valueEnd(bytes: Uint8Array, pos: number): number {
  let remaining = 1;
  while (remaining > 0) {
    remaining--;
    const type = bytes[pos++];
    if (type <= 0x7f || type >= 0xe0) continue;
    if (type <= 0x8f) remaining += 2 * (type & 0x0f);
    else if (type <= 0x9f) remaining += type & 0x0f;
    else if (type <= 0xbf) pos += type & 0x1f;
    else {
      const header = HEADERS[type - 0xc0]!;
      const n = header.lengthBytes === 0 ? 0 : readLength(bytes, pos, header.lengthBytes);
      pos += header.lengthBytes + header.fixed + (header.kind === 'bytes' ? n : 0);
      if (header.kind === 'array') remaining += n;
      else if (header.kind === 'map') remaining += 2 * n;
    }
  }
  return pos;
}

const KEY_ENCODER = new TextEncoder();

/** Whether the value at `start`-`end` is a msgpack string of exactly these UTF-8 bytes. */
function isString(bytes: Uint8Array, start: number, end: number, wanted: Uint8Array): boolean {
  const type = bytes[start];
  const headerBytes = type >= 0xa0 && type <= 0xbf ? 1 : type === 0xd9 ? 2 : type === 0xda ? 3 : type === 0xdb ? 5 : -1;
  if (headerBytes < 0) return false;
  if (end - start - headerBytes !== wanted.length) return false;
  for (let i = 0; i < wanted.length; i++) if (bytes[start + headerBytes + i] !== wanted[i]) return false;
  return true;
}

/** msgpackr's extension type for typed arrays, and its code for Uint8Array. */
const TYPED_ARRAY_EXT = 0x74;
const UINT8_ARRAY_CODE = 1;

function byteString(bytes: Uint8Array, start: number, end: number): { start: number; end: number; bytes: Uint8Array } | null {
  const type = bytes[start];
  // Of the same type msgpackr decodes it to: a bin is a subarray of the frame, the extension a plain Uint8Array.
  if (type >= 0xc4 && type <= 0xc6) return { start, end, bytes: bytes.subarray(start + 1 + HEADERS[type - 0xc0]!.lengthBytes, end) };
  if (type < 0xc7 || type > 0xc9) return null;
  const typeAt = start + 1 + HEADERS[type - 0xc0]!.lengthBytes;
  if (bytes[typeAt] !== TYPED_ARRAY_EXT || end === typeAt + 1 || bytes[typeAt + 1] !== UINT8_ARRAY_CODE) return null;
  return { start, end, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset + typeAt + 2, end - typeAt - 2) };
}
