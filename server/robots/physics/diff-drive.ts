import type { RobotPhysics } from './types.ts';

/**
 * VMAS's differential drive (dynamics/diff_drive.py, RK4): integrate the unicycle
 * ẋ = v cos θ, ẏ = v sin θ, θ̇ = ω over one dt from the body's current pose, then set the force
 * and torque that would produce that displacement from the current velocity:
 * F = m(Δ - v·dt)/dt², τ = I(Δθ - ω·dt)/dt².
 */
export function applyDiffDrive(physics: RobotPhysics, body: number, speed: number, yawRate: number, dt: number): void {
  const theta = physics.rot[body];
  // k_i = f(state + ...): only θ enters f, and θ advances by the constant yaw rate.
  const c1 = Math.cos(theta);
  const s1 = Math.sin(theta);
  const c2 = Math.cos(theta + (dt * yawRate) / 2);
  const s2 = Math.sin(theta + (dt * yawRate) / 2);
  const c4 = Math.cos(theta + dt * yawRate);
  const s4 = Math.sin(theta + dt * yawRate);
  const dx = (dt / 6) * speed * (c1 + 4 * c2 + c4);
  const dy = (dt / 6) * speed * (s1 + 4 * s2 + s4);
  const dTheta = dt * yawRate;
  const mass = physics.bodies[body].mass;
  physics.forceX[body] = (mass * (dx - physics.velX[body] * dt)) / (dt * dt);
  physics.forceY[body] = (mass * (dy - physics.velY[body] * dt)) / (dt * dt);
  physics.torque[body] = (physics.inertia[body] * (dTheta - physics.angVel[body] * dt)) / (dt * dt);
}
