/**
 * Stands in for `zod` in the browser bundle (see vite.config.ts). shared/protocol.ts defines the
 * server's zod schemas at module level next to the constants and types the viewer uses; the
 * viewer validates frames with its own checks (stream/wire.ts) and never runs a schema. Building
 * a schema here is inert; running one throws, so a future use cannot pass silently.
 */
const refuse = (): never => {
  throw new Error('zod schemas are not bundled into the viewer; validate with viewer/src/stream/wire.ts');
};
const RUNNERS = new Set(['parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'decode', 'encode']);

const inert: unknown = new Proxy(function schema() {}, {
  get: (_target, property) => (typeof property === 'string' && RUNNERS.has(property) ? refuse : inert),
  apply: () => inert,
});

export const z = inert;
export default inert;
