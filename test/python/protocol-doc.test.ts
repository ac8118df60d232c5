import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.ts';
import { FATAL_AGENT_CLOSE_CODES, FRAME, PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { actionFrameTick } from '../../shared/frame-guards.ts';
import { helloSchema } from '../../server/net/protocol-schemas.ts';
import { fromRoot } from '../../shared/paths.ts';

/** The `hex NAME` blocks of docs/protocol.md: bytes with `#` comments. */
function docExamples(): Map<string, Buffer> {
  const text = readFileSync(fromRoot('docs', 'protocol.md'), 'utf8');
  const blocks = new Map<string, Buffer>();
  for (const match of text.matchAll(/^\s*```hex ([\w-]+)\n([\s\S]*?)^\s*```/gm)) {
    const hex = match[2]
      .split('\n')
      .map((line) => line.replace(/#.*$/, ''))
      .join('')
      .replace(/\s+/g, '');
    blocks.set(match[1], Buffer.from(hex, 'hex'));
  }
  return blocks;
}

/** What each example in the doc stands for. */
const EXPECTED: Record<string, unknown> = {
  'float32-array': new Float32Array([1, -2]),
  'agent-hello': { kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 0, token: 'T0', caps: {}, policy: 'python' }] },
  'observation-frame': [FRAME.obs, 7, 1, 0, new Float32Array([0.5, -1]), new Uint8Array([1, 1, 0, 1, 1])],
  'action-frame': [FRAME.act, 7, new Int16Array([3, -1])],
  'action-frame-plain': [FRAME.act, 7, [3, -1]],
};

describe('docs/protocol.md wire examples', () => {
  const examples = docExamples();

  it('has every example, and no example this test does not check', () => {
    expect([...examples.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, value] of Object.entries(EXPECTED)) {
    it(`${name}: the doc's bytes decode to the value, and the server's codec writes those bytes`, () => {
      const bytes = examples.get(name)!;
      expect(decode(bytes)).toEqual(value);
      expect(Buffer.from(encode(value)).toString('hex')).toBe(bytes.toString('hex'));
    });
  }

  it('the example hello passes the server schema, and both action frames pass the frame guard', () => {
    expect(helloSchema.safeParse(decode(examples.get('agent-hello')!)).success).toBe(true);
    expect(actionFrameTick(decode(examples.get('action-frame')!), 2)).toBe(7);
    expect(actionFrameTick(decode(examples.get('action-frame-plain')!), 2)).toBe(7);
  });

  it('a fixext typed array (as other msgpack libraries write short ones) decodes too', () => {
    expect(decode(Buffer.from('d5740103', 'hex'))).toEqual(new Uint8Array([3]));
  });

  it('states the protocol version, and lists exactly the close codes after which a client must not reconnect', () => {
    const text = readFileSync(fromRoot('docs', 'protocol.md'), 'utf8');
    expect(text).toContain(`\`version\` must be **${PROTOCOL_VERSION}**`);
    const sentence = /\*\*Do not reconnect\*\* after ([^(]*)\(/.exec(text)![1];
    const codes = [...sentence.matchAll(/\b(4\d{3})\b/g)].map((m) => Number(m[1])).sort();
    expect(codes).toEqual([...FATAL_AGENT_CLOSE_CODES].sort());
  });
});
