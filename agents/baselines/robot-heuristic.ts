import type { Simulation } from '../../server/env/simulation.ts';
import type { DecisionPolicy } from './decision-policy.ts';

/**
 * Scripted baselines for the robot tasks, reading the teacher view (whose offsets are documented in
 * server/robots/*.ts). Actions are VMAS's 9: 3 × x part + y part, each 0 none, 1 minus, 2 plus.
 * Holonomic robots steer per axis towards a target with a brake: drag leaves a coasting distance of
 * about 0.4 × speed, so a robot stops pushing when the target is nearer than 0.6 × its speed.
 */
const DEADBAND = 0.02;
const BRAKE = 0.6;

function axisChoice(toTarget: number, velocity: number): number {
  const ahead = toTarget - BRAKE * velocity;
  return ahead > DEADBAND ? 2 : ahead < -DEADBAND ? 1 : 0;
}

/** Holonomic action towards a target offset (target − position) given the robot's velocity. */
function steer(dx: number, dy: number, vx: number, vy: number): number {
  return 3 * axisChoice(dx, vx) + axisChoice(dy, vy);
}

function policy(label: string, observationSize: number, decide: (o: Float32Array) => number): DecisionPolicy {
  return { label, flops: 0, observationSize, decide: (o) => decide(o) };
}

/** Navigation: drive at the goal (observation: x, y, vx, vy[, cos θ, sin θ], x − gx, y − gy, lidar). */
function navigationHeuristic(size: number, diffDrive: boolean): DecisionPolicy {
  if (!diffDrive) return policy('scripted', size, (o) => steer(-o[4], -o[5], o[2], o[3]));
  return policy('scripted', size, (o) => {
    const dx = -o[6];
    const dy = -o[7];
    if (Math.hypot(dx, dy) < 0.05) return 0;
    const heading = Math.atan2(o[5], o[4]);
    let error = Math.atan2(dy, dx) - heading;
    error = Math.atan2(Math.sin(error), Math.cos(error));
    const yaw = error > 0.1 ? 2 : error < -0.1 ? 1 : 0;
    // Turn in place when far off the bearing, else drive forward while correcting it.
    return Math.abs(error) > 0.5 ? yaw : 6 + yaw;
  });
}

/**
 * Transport: walk to the point behind the package (on the far side from the goal), then push towards
 * the goal (observation: x, y, vx, vy, p − g, p − x, v_p, on_goal for the first package).
 */
function transportHeuristic(size: number): DecisionPolicy {
  const behind = 0.15;
  return policy('scripted', size, (o) => {
    const [pgx, pgy, pdx, pdy] = [o[4], o[5], o[6], o[7]];
    const norm = Math.hypot(pgx, pgy) || 1;
    const ux = pgx / norm;
    const uy = pgy / norm;
    const tx = pdx + ux * behind;
    const ty = pdy + uy * behind;
    if (Math.hypot(tx, ty) > 0.06) return steer(tx, ty, o[2], o[3]);
    return 3 * (ux < -0.3 ? 2 : ux > 0.3 ? 1 : 0) + (uy < -0.3 ? 2 : uy > 0.3 ? 1 : 0);
  });
}

/** Balance, as VMAS's own heuristic: push up while the package is below the goal (observation 8..9: p − g). */
function balanceHeuristic(size: number): DecisionPolicy {
  return policy('scripted', size, (o) => (o[9] < 0 ? 2 : 0));
}

/** The robot task's scripted baseline for one agent; null when the agent is not in a robot world. */
export function robotHeuristic(sim: Simulation, agent: number): DecisionPolicy | null {
  const blocks = sim.layouts[agent].blocks.map((b) => b.name);
  const size = sim.layouts[agent].size;
  if (blocks[0] !== 'self' || !sim.rotations) return null;
  const diffDrive = sim.layouts[agent].blocks[0].features.includes('heading_cos');
  // Their observation offsets and per-axis pushes hold for holonomic robots only.
  const holonomicOnly = blocks.includes('packages') ? 'transport' : blocks.includes('line_motion') ? 'balance' : null;
  if (diffDrive && holonomicOnly) throw new Error(`no scripted policy for agent ${sim.agentNames[agent]} of ${holonomicOnly} with diff_drive robots (its script pushes per axis, as holonomic robots move); use a model or 'random'`);
  if (blocks.includes('packages')) return transportHeuristic(size);
  // Passage has none: robots steering straight for the gap jam in it, and the shared collision
  // penalty then makes such a script score far below random.
  if (blocks.includes('gaps')) throw new Error(`no scripted policy for agent ${sim.agentNames[agent]} of passage (robots steering for the gap jam in it); use a model or 'random'`);
  if (blocks.includes('line_motion')) return balanceHeuristic(size);
  if (blocks.includes('goal')) return navigationHeuristic(size, diffDrive);
  return null;
}
