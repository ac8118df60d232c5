import { describe, expect, test } from 'vitest';
import { applyDiffDrive, createRobotPhysics, VMAS_WORLD_DEFAULTS, type BodySpec, type PhysicsMode, type WorldSpec } from '../../server/robots/physics/index.ts';
import { box, fixed, line, sphere } from './physics-fixtures.ts';

describe('vmas integrator', () => {
  test('a constant force reaches 0.4·F/m and speed decays ×0.75 without it', () => {
    const p = createRobotPhysics('vmas', { ...VMAS_WORLD_DEFAULTS, substeps: 2 }, [sphere('agent_0', 0.1)]);
    for (let s = 0; s < 200; s++) {
      p.forceX[0] = 1;
      p.step();
    }
    expect(p.velX[0]).toBeCloseTo(0.4, 9);
    p.forceX[0] = 0;
    p.step();
    expect(p.velX[0]).toBeCloseTo(0.3, 9);
  });

  test('semi-implicit Euler over 2 substeps: drag at substep 0 only, the new velocity moves the body', () => {
    const p = createRobotPhysics('vmas', { ...VMAS_WORLD_DEFAULTS, substeps: 2 }, [sphere('agent_0', 0.1, { mass: 2 })]);
    p.velX[0] = 1;
    p.forceX[0] = 4;
    p.step();
    // h = 0.05, a = 2: v1 = 0.75 + 0.1 = 0.85, x1 = 0.0425; v2 = 0.95, x2 = 0.0425 + 0.0475
    expect(p.velX[0]).toBeCloseTo(0.95, 14);
    expect(p.posX[0]).toBeCloseTo(0.09, 14);
  });

  test('gravity m·g on movable bodies only; torque turns rotatable bodies', () => {
    const world: WorldSpec = { ...VMAS_WORLD_DEFAULTS, gravity: [0, -0.05] };
    const p = createRobotPhysics('vmas', world, [sphere('package', 0.1, { mass: 3 }), line('line', 0.8, { mass: 2, movable: false, rotatable: true })]);
    p.posX[1] = 5;
    p.torque[1] = 0.1;
    p.step();
    expect(p.velY[0]).toBeCloseTo(-0.005, 15); // g·dt, whatever the mass
    expect(p.posY[0]).toBeCloseTo(-0.0005, 15);
    expect(p.posY[1]).toBe(0);
    // I = 2·0.8²/12, ω = τ/I·dt
    expect(p.angVel[1]).toBeCloseTo((0.1 / ((2 * 0.64) / 12)) * 0.1, 14);
    expect(p.rot[1]).toBeCloseTo((0.1 / ((2 * 0.64) / 12)) * 0.01, 14);
  });

  test('boundary clamp keeps the position inside the semidims and keeps the velocity', () => {
    const world: WorldSpec = { ...VMAS_WORLD_DEFAULTS, xSemidim: 1, ySemidim: 0.5 };
    const p = createRobotPhysics('vmas', world, [sphere('agent_0', 0.1)]);
    p.posX[0] = 0.99;
    p.posY[0] = -0.49;
    p.velX[0] = 1;
    p.velY[0] = -1;
    p.step();
    expect([p.posX[0], p.posY[0]]).toEqual([1, -0.5]);
    expect([p.velX[0], p.velY[0]]).toEqual([0.75, -0.75]);
    p.step();
    expect([p.posX[0], p.posY[0]]).toEqual([1, -0.5]);
    expect(p.velX[0]).toBeCloseTo(0.5625, 15);
  });

  test('bad worlds and bodies are refused with the field named', () => {
    const agent = sphere('agent_0', 0.1);
    expect(() => createRobotPhysics('vmas', { ...VMAS_WORLD_DEFAULTS, substeps: 0 }, [agent])).toThrow(/world.substeps must be an integer >= 1, got 0/);
    expect(() => createRobotPhysics('vmas', { ...VMAS_WORLD_DEFAULTS, drag: 1.5 }, [agent])).toThrow(/world.drag must be in \[0, 1\]/);
    expect(() => createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [{ ...agent, mass: 0 }])).toThrow(/bodies\[0\] \(agent_0\).mass must be a finite number > 0, got 0/);
    expect(() => createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('a', Number.NaN)])).toThrow(/bodies\[0\] \(a\).shape.radius/);
    expect(() => createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [agent, agent])).toThrow(/name agent_0 is used twice/);
    expect(() => createRobotPhysics('bullet' as PhysicsMode, VMAS_WORLD_DEFAULTS, [agent])).toThrow(/physics mode must be vmas or matter, got bullet/);
  });
});

describe('differential drive (VMAS diff_drive.py, RK4 of the unicycle)', () => {
  const dt = VMAS_WORLD_DEFAULTS.dt;
  // The unicycle's exact arc over dt from heading θ with speed v and yaw rate ω; RK4 agrees to O(dt⁵).
  const arc = (theta: number, v: number, w: number) => ({
    dx: (v / w) * (Math.sin(theta + w * dt) - Math.sin(theta)),
    dy: (-v / w) * (Math.cos(theta + w * dt) - Math.cos(theta)),
  });

  test('from rest, one step lands on the arc with the commanded turn', () => {
    const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1)]);
    p.posX[0] = 0.2;
    p.posY[0] = -0.1;
    p.rot[0] = 0.3;
    applyDiffDrive(p, 0, 0.5, 1, dt);
    const { dx, dy } = arc(0.3, 0.5, 1);
    // F = m·Δ/dt², τ = I·Δθ/dt² with I = ½·1·0.1². RK4 here is Simpson's rule on the arc, off the
    // exact integral by at most v·ω⁴·dt⁵/2880 = 1.8e-9.
    const bound = (0.5 * dt ** 5) / 2880;
    expect(Math.abs(p.forceX[0] * dt * dt - dx)).toBeLessThan(bound);
    expect(Math.abs(p.forceY[0] * dt * dt - dy)).toBeLessThan(bound);
    expect(p.torque[0]).toBeCloseTo((0.005 * 1 * dt) / (dt * dt), 14);
    p.step();
    expect(Math.abs(p.posX[0] - (0.2 + dx))).toBeLessThan(bound);
    expect(Math.abs(p.posY[0] - (-0.1 + dy))).toBeLessThan(bound);
    expect(p.rot[0]).toBeCloseTo(0.3 + 1 * dt, 14);
    expect(p.angVel[0]).toBeCloseTo(1, 14);
  });

  test('straight ahead along the heading, and the drag leaves Δ/dt − d·v as the reference says', () => {
    const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1, { mass: 2 })]);
    p.rot[0] = Math.PI / 4;
    p.velX[0] = 0.2;
    p.velY[0] = -0.1;
    p.angVel[0] = 0.5;
    applyDiffDrive(p, 0, 0.8, 0, dt);
    p.step();
    const step = 0.8 * dt * Math.SQRT1_2; // Δx = Δy
    expect(p.velX[0]).toBeCloseTo(step / dt - 0.25 * 0.2, 12);
    expect(p.velY[0]).toBeCloseTo(step / dt + 0.25 * 0.1, 12);
    expect(p.angVel[0]).toBeCloseTo(-0.25 * 0.5, 12);
  });

  test('a constant yaw command is not tracked exactly (ω ← ω_c − d·ω), and the lidar turns with the robot', () => {
    const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), box('obstacle_0', 0.2, 0.2, fixed)]);
    // ω1 = π, then ω_k = 0.75·ω_{k-1} + (π − ω_{k-1}): π, 0.75π, 0.8125π, 0.796875π, 0.80078125π
    for (let s = 0; s < 5; s++) {
      applyDiffDrive(p, 0, 0, Math.PI, dt);
      p.step();
    }
    expect(p.angVel[0]).toBeCloseTo(0.80078125 * Math.PI, 12);
    const heading = (1 + 0.75 + 0.8125 + 0.796875 + 0.80078125) * Math.PI * dt;
    expect(p.rot[0]).toBeCloseTo(heading, 12);
    expect(Math.hypot(p.posX[0], p.posY[0])).toBeLessThan(1e-15);
    // Put the box 0.5 away along ray 3 (θ + 3π/2), square to it: that ray reads 0.4, the others nothing.
    const ray3 = heading + (3 * Math.PI) / 2;
    p.posX[1] = 0.5 * Math.cos(ray3);
    p.posY[1] = 0.5 * Math.sin(ray3);
    p.rot[1] = ray3;
    const out = new Float32Array(4);
    p.lidar(0, 4, 1, Uint8Array.from([0, 1]), out, 0);
    expect(out[3]).toBeCloseTo(0.4, 6);
    expect(Array.from(out.slice(0, 3))).toEqual([1, 1, 1]);
  });
});

/** A crowded world with every shape kind, stepped with varying forces. */
function crowd(): BodySpec[] {
  return [
    ...Array.from({ length: 6 }, (_, i) => sphere(`agent_${i}`, 0.1)),
    box('package', 0.3, 0.2, { mass: 2 }),
    line('line', 0.8, { mass: 1.5 }),
    box('wall_0', 2, 0.1, fixed),
    line('wall_1', 2, fixed),
  ];
}

function run(mode: PhysicsMode, steps: number): Float64Array[] {
  const world: WorldSpec = { ...VMAS_WORLD_DEFAULTS, substeps: 3, xSemidim: 1, ySemidim: 1 };
  const p = createRobotPhysics(mode, world, crowd());
  for (let i = 0; i < 6; i++) {
    p.posX[i] = -0.5 + 0.19 * i;
    p.posY[i] = 0.3 + 0.05 * (i % 2);
  }
  p.posY[6] = 0.55;
  p.posY[7] = 0.15;
  p.rot[7] = 0.2;
  p.posY[8] = 0.8;
  p.posY[9] = -0.2;
  p.syncFromState();
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < 6; i++) {
      p.forceX[i] = Math.sin(0.37 * s + i);
      p.forceY[i] = Math.cos(0.23 * s * (i + 1));
    }
    p.step();
  }
  return [p.posX, p.posY, p.velX, p.velY, p.rot, p.angVel].map((a) => Float64Array.from(a));
}

describe('determinism', () => {
  for (const mode of ['vmas', 'matter'] as const) {
    test(`${mode}: the same inputs give bit-identical state`, () => {
      const a = run(mode, 150);
      const b = run(mode, 150);
      a.forEach((array, k) => expect(Buffer.from(array.buffer).equals(Buffer.from(b[k].buffer)), `state array ${k}`).toBe(true));
      for (const array of a) for (const value of array) expect(Number.isFinite(value)).toBe(true);
    });
  }

  test('vmas: contacts in the crowd actually fired (the run is not trivially free motion)', () => {
    // With contacts the package moves although no force is applied to it.
    const [posX, posY] = run('vmas', 150);
    expect(Math.hypot(posX[6], posY[6] - 0.55)).toBeGreaterThan(1e-3);
  });
});
