import { describe, expect, test } from 'vitest';
import { createRobotPhysics, LINE_CONTACT_RADIUS, VMAS_WORLD_DEFAULTS, type BodySpec } from '../../server/robots/physics/index.ts';
import { box, fixed, line, penaltyForce, sphere } from './physics-fixtures.ts';

// One vmas step from rest with the defaults (dt 0.1, 1 substep, drag 0.25, c 100, k 1e-3):
// the drag multiplies a zero velocity, so v = F/m·0.1, x = x0 + v·0.1, ω = τ/I·0.1, θ = ω·0.1.
const H = 0.1;
const ELL = LINE_CONTACT_RADIUS;

function world(bodies: BodySpec[], place: [x: number, y: number, rot?: number][]) {
  const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, bodies);
  place.forEach(([x, y, rot], i) => {
    p.posX[i] = x;
    p.posY[i] = y;
    p.rot[i] = rot ?? 0;
  });
  return p;
}

describe('vmas contacts, one step by hand', () => {
  test('sphere-sphere: force along the centres with rest distance rA + rB', () => {
    const p = world([sphere('agent_0', 0.1), sphere('agent_1', 0.1)], [[0, 0], [0.19, 0]]);
    p.step();
    const force = penaltyForce(0.01); // overlap 0.2 - 0.19
    expect(p.velX[0]).toBeCloseTo(-force * H, 12);
    expect(p.posX[0]).toBeCloseTo(-force * H * H, 12);
    expect(p.posX[1]).toBeCloseTo(0.19 + force * H * H, 12);
    expect(p.angVel[0]).toBe(0); // spheres take no contact torque
  });

  test('sphere-sphere at first touch: c·k·ln 2 along the diagonal; just apart: nothing', () => {
    // |(0.18, 0.24)| = 0.3 = 0.1 + 0.2, the unit normal from B to A is (-0.6, -0.8)
    const touching = world([sphere('a', 0.1), sphere('b', 0.2, { mass: 2 })], [[0, 0], [0.18, 0.24]]);
    touching.step();
    const force = 100 * 1e-3 * Math.LN2;
    expect(touching.velX[0]).toBeCloseTo(-0.6 * force * H, 12);
    expect(touching.velY[0]).toBeCloseTo(-0.8 * force * H, 12);
    expect(touching.velX[1]).toBeCloseTo((0.6 * force * H) / 2, 12);
    expect(touching.velY[1]).toBeCloseTo((0.8 * force * H) / 2, 12);

    const apart = world([sphere('a', 0.1), sphere('b', 0.2)], [[0, 0], [0.18, 0.2401]]);
    apart.step();
    expect([apart.velX[0], apart.velY[0], apart.velX[1], apart.velY[1]]).toEqual([0, 0, 0, 0]);
  });

  test('sphere-box: the box point shifts to the centre depth, rest distance r + ℓ + |h|, torque at the perimeter point', () => {
    // Box 0.4 × 0.2 at the origin, sphere r 0.1 at (0.25, 0.05). Perimeter point s = (0.2, 0.05),
    // v̂ = (-1, 0), h = 0.2, shifted point (0, 0.05): d = 0.25, rest 0.1 + ℓ + 0.2.
    const p = world([box('package', 0.4, 0.2, { mass: 2 }), sphere('agent_0', 0.1)], [[0, 0], [0.25, 0.05]]);
    p.step();
    const force = penaltyForce(0.05 + ELL);
    expect(p.velX[1]).toBeCloseTo(force * H, 12);
    expect(p.velY[1]).toBeCloseTo(0, 12);
    expect(p.posX[1]).toBeCloseTo(0.25 + force * H * H, 12);
    expect(p.velX[0]).toBeCloseTo((-force * H) / 2, 12);
    // τ = r × F with r = (0.2, 0.05), F = (-force, 0); I = 2·(0.4² + 0.2²)/12 = 1/30
    const torque = 0.05 * force;
    expect(p.angVel[0]).toBeCloseTo(torque * 30 * H, 10);
    expect(p.rot[0]).toBeCloseTo(torque * 30 * H * H, 10);
  });

  test('sphere-box: a sphere whose centre is inside the box is pushed out through the nearest face', () => {
    // Sphere at (0.15, 0): nearest edge point (0.2, 0), v̂ = (1, 0), h = -0.2, shifted point (0, 0).
    const p = world([box('wall', 0.4, 0.2, fixed), sphere('agent_0', 0.1)], [[0, 0], [0.15, 0]]);
    p.step();
    const force = penaltyForce(0.1 + ELL + 0.2 - 0.15);
    expect(p.velX[1]).toBeCloseTo(force * H, 10);
    expect(p.velY[1]).toBeCloseTo(0, 12);
    expect(p.posX[0]).toBe(0); // a static box never moves
  });

  test('sphere-box: a box turned by π/2 presents its long side', () => {
    // Length now along y: the box spans x ∈ [-0.1, 0.1]. Sphere at (0.15, 0): overlap 0.1 + ℓ + 0.1 - 0.15.
    const p = world([box('wall', 0.4, 0.2, fixed), sphere('agent_0', 0.1)], [[0, 0, Math.PI / 2], [0.15, 0]]);
    p.step();
    const force = penaltyForce(0.05 + ELL);
    expect(p.velX[1]).toBeCloseTo(force * H, 10);
    expect(p.velY[1]).toBeCloseTo(0, 10);
  });

  test('sphere-line: closest point on the segment, rest distance r + ℓ', () => {
    // Line of length 0.5 on the x axis; sphere at (0.1, 0.1): closest point (0.1, 0), overlap ℓ.
    const p = world([line('line', 0.5, fixed), sphere('agent_0', 0.1)], [[0, 0], [0.1, 0.1]]);
    p.step();
    const force = penaltyForce(ELL);
    expect(p.velX[1]).toBeCloseTo(0, 12);
    expect(p.velY[1]).toBeCloseTo(force * H, 12);
  });

  test('sphere-line past the end: the closest point is the end, the force is diagonal', () => {
    // Sphere at (0.3, 0.05): closest point (0.25, 0), δ = (0.05, 0.05), d = 0.05√2.
    const p = world([line('line', 0.5, fixed), sphere('agent_0', 0.1)], [[0, 0], [0.3, 0.05]]);
    p.step();
    const force = penaltyForce(0.1 + ELL - 0.05 * Math.SQRT2);
    expect(p.velX[1]).toBeCloseTo((force / Math.SQRT2) * H, 12);
    expect(p.velY[1]).toBeCloseTo((force / Math.SQRT2) * H, 12);
  });

  test('sphere-line: a movable line takes the opposite force and a torque at its contact point', () => {
    // Static sphere at (0.1, 0.1) over a free line: F_line = (0, -f) at r = (0.1, 0), τ = -0.1 f, I = 0.5²/12.
    const p = world([line('line', 0.5), sphere('obstacle', 0.1, fixed)], [[0, 0], [0.1, 0.1]]);
    p.step();
    const force = penaltyForce(ELL);
    expect(p.velY[0]).toBeCloseTo(-force * H, 12);
    expect(p.angVel[0]).toBeCloseTo(((-0.1 * force) / (0.25 / 12)) * H, 10);
    expect(p.posY[1]).toBe(0.1);
  });

  test('line-line: closest points of the segments, rest distance ℓ, torque on the line hit off-centre', () => {
    // A: 0.5 along x at the origin. B: 0.2 along y centred at (0.254, 0.05), spanning y ∈ [-0.05, 0.15].
    // Closest pair: A's end (0.25, 0) and (0.254, 0) on B, d = 0.004.
    const p = world([line('a', 0.5), line('b', 0.2)], [[0, 0], [0.254, 0.05, Math.PI / 2]]);
    p.step();
    const force = penaltyForce(ELL - 0.004);
    expect(p.velX[0]).toBeCloseTo(-force * H, 12);
    expect(p.velX[1]).toBeCloseTo(force * H, 12);
    expect(p.angVel[0]).toBeCloseTo(0, 12); // r = (0.25, 0) is parallel to the force
    // B: r = (0, -0.05), F = (f, 0): τ = 0.05 f, I = 0.2²/12
    expect(p.angVel[1]).toBeCloseTo(((0.05 * force) / (0.04 / 12)) * H, 10);
  });

  test('line-line: crossing segments meet at one point and exert no force', () => {
    const p = world([line('a', 0.5), line('b', 0.2)], [[0, 0], [0.1, 0, Math.PI / 2]]);
    p.step();
    expect([p.velX[0], p.velY[0], p.velX[1], p.velY[1], p.angVel[0], p.angVel[1]]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('box-line: box point shifted by the centre depth, rest distance ℓ + |h|', () => {
    // Box 0.4 × 0.2 at the origin; a vertical line of 0.2 centred at (0.05, 0.204), its lower end 0.004
    // above the box's top face. Box point (0.05, 0.1), h = 0.1, shifted point (0.05, 0): d = 0.104.
    const p = world([box('package', 0.4, 0.2), line('line', 0.2)], [[0, 0], [0.05, 0.204, Math.PI / 2]]);
    p.step();
    const force = penaltyForce(ELL - 0.004);
    expect(p.velY[1]).toBeCloseTo(force * H, 12);
    expect(p.velX[1]).toBeCloseTo(0, 12);
    expect(p.angVel[1]).toBeCloseTo(0, 10); // r = (0, -0.1) is parallel to the force
    expect(p.velY[0]).toBeCloseTo(-force * H, 12);
    // Box: F = (0, -f) at r = (0.05, 0.1): τ = -0.05 f, I = (0.4² + 0.2²)/12 = 1/60
    expect(p.angVel[0]).toBeCloseTo(-0.05 * force * 60 * H, 10);
  });

  test('box-box: both box points shifted, rest distance ℓ + |hA| + |hB|', () => {
    // A: 0.4 × 0.2 at the origin. B: a 0.2 square turned π/4 whose left corner is at (0.204, 0.05),
    // 0.004 from A's right face. hA = 0.2, hB = 0.1√2, the shifted points are (0, 0.05) and B's centre.
    const half = 0.1 * Math.SQRT2;
    const p = world([box('a', 0.4, 0.2), box('b', 0.2, 0.2)], [[0, 0], [0.204 + half, 0.05, Math.PI / 4]]);
    p.step();
    const force = penaltyForce(ELL - 0.004);
    expect(p.velX[0]).toBeCloseTo(-force * H, 10);
    expect(p.velY[0]).toBeCloseTo(0, 10);
    expect(p.velX[1]).toBeCloseTo(force * H, 10);
    // A: F = (-f, 0) at r = (0.2, 0.05): τ = 0.05 f, I = 1/60. B: r = (-0.1√2, 0) is parallel to F.
    expect(p.angVel[0]).toBeCloseTo(0.05 * force * 60 * H, 8);
    expect(p.angVel[1]).toBeCloseTo(0, 8);
  });

  test('box-box with crossing edges: both reference points coincide and the force is 0, as in VMAS', () => {
    // B (0.2 × 0.2 at (0.29, 0)) overlaps A's right end by 0.01: their edges cross, VMAS takes the
    // crossing point for both boxes and _get_inner_point_box returns 2·s for each, so d = 0 < 1e-6.
    const p = world([box('a', 0.4, 0.2), box('b', 0.2, 0.2)], [[0, 0], [0.29, 0]]);
    p.step();
    expect([p.velX[0], p.velY[0], p.velX[1], p.velY[1], p.angVel[0], p.angVel[1]]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('pairs that never collide: two static bodies, collide=false, ignores, beyond the circumscribed radii', () => {
    const statics = world([sphere('a', 0.1, fixed), box('b', 0.2, 0.2, fixed)], [[0, 0], [0.1, 0]]);
    statics.step();
    expect([statics.posX[0], statics.posX[1]]).toEqual([0, 0.1]);
    const ghost = world([sphere('agent_0', 0.1), sphere('goal_0', 0.05, { collide: false })], [[0, 0], [0.05, 0]]);
    ghost.step();
    expect([ghost.velX[0], ghost.velX[1]]).toEqual([0, 0]);
    const ignoring = world([sphere('agent_0', 0.1, { ignores: ['agent_1'] }), sphere('agent_1', 0.1)], [[0, 0], [0.1, 0]]);
    ignoring.step();
    expect([ignoring.velX[0], ignoring.velX[1]]).toEqual([0, 0]);
  });
});

describe('signed distance (VMAS World.get_distance) and overlap', () => {
  test('each pair by hand', () => {
    const p = world(
      [sphere('s0', 0.1), sphere('s1', 0.2), box('b', 0.4, 0.2, fixed), line('l', 0.5, fixed), line('l2', 0.2, fixed), box('b2', 0.2, 0.2, fixed)],
      [[0, 0], [0.3, 0.4], [2, 0], [0, 2], [0.4, 2.05, Math.PI / 2], [2.5, 0]],
    );
    expect(p.distance(0, 1)).toBeCloseTo(0.5 - 0.3, 14); // |(0.3, 0.4)| - rA - rB
    expect(p.distance(1, 0)).toBeCloseTo(0.2, 14);
    p.posX[5] = 3; // b2's left face at 2.9
    // sphere 0.1 from b's right face (x = 2.2): within r + ℓ of the perimeter, so VMAS says -1
    p.posX[0] = 2.3;
    p.posY[0] = 0;
    expect(p.overlapping(0, 2)).toBe(true);
    expect(p.distance(2, 0)).toBe(-1);
    p.posX[0] = 2.35; // 0.15 from the face: clear
    expect(p.distance(0, 2)).toBeCloseTo(0.15 - ELL - 0.1, 12);
    expect(p.overlapping(0, 2)).toBe(false);
    p.posX[0] = 2.1; // centre inside the box: VMAS reports -1
    expect(p.distance(0, 2)).toBe(-1);
    expect(p.overlapping(2, 0)).toBe(true);
    // sphere-line: sphere at (0.1, 2.3) over the line at y = 2
    p.posX[0] = 0.1;
    p.posY[0] = 2.3;
    expect(p.distance(0, 3)).toBeCloseTo(0.3 - ELL - 0.1, 12);
    // line-line: l2 spans y ∈ [1.95, 2.15] at x = 0.4; l ends at (0.25, 2): gap 0.15
    expect(p.distance(3, 4)).toBeCloseTo(0.15 - ELL, 12);
    // box-line: l2 moved next to b's top face at y = 0.1, its lower end at y = 0.13
    p.posX[4] = 2;
    p.posY[4] = 0.23;
    expect(p.distance(2, 4)).toBeCloseTo(0.03 - ELL, 10);
    // box-box: b2 at x = 3 has its left face at 2.9, b's right face is at 2.2
    expect(p.distance(2, 5)).toBeCloseTo(0.7 - ELL, 12);
    expect(p.overlapping(2, 5)).toBe(false);
  });
});
