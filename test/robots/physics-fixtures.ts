import type { BodySpec, ShapeSpec } from '../../server/robots/physics/index.ts';

/** VMAS's penalty magnitude c·k·ln(1 + e^{overlap/k}) with c = 100, k = 1e-3 (the world defaults). */
export function penaltyForce(overlap: number): number {
  return 100 * 1e-3 * Math.log1p(Math.exp(overlap / 1e-3));
}

type BodyOptions = { mass?: number; movable?: boolean; rotatable?: boolean; collide?: boolean; ignores?: string[] };

export function body(name: string, shape: ShapeSpec, options: BodyOptions = {}): BodySpec {
  const movable = options.movable ?? true;
  return {
    name,
    shape,
    mass: options.mass ?? 1,
    movable,
    rotatable: options.rotatable ?? movable,
    collide: options.collide ?? true,
    ...(options.ignores ? { ignores: options.ignores } : {}),
  };
}

export const sphere = (name: string, radius: number, options?: BodyOptions): BodySpec => body(name, { kind: 'sphere', radius }, options);
export const box = (name: string, length: number, width: number, options?: BodyOptions): BodySpec => body(name, { kind: 'box', length, width }, options);
export const line = (name: string, length: number, options?: BodyOptions): BodySpec => body(name, { kind: 'line', length }, options);
export const fixed = { movable: false, rotatable: false } as const;
