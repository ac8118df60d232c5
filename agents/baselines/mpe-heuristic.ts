import type { DecisionPolicy } from './decision-policy.ts';

/**
 * Scripted MPE policies that read only an agent's own full (teacher-view) observation, so they run
 * in an agent process like any student. They are the labelled stand-ins `kdmarl up` runs before
 * trained models exist, and an evaluation baseline between random and trained.
 */

const NO_OP = 0;
const LEFT = 1;
const RIGHT = 2;
const DOWN = 3;
const UP = 4;

/**
 * Steer toward a target at (dx, dy) with velocity (vx, vy): aim at where we would be after braking
 * (damping 0.25 per step leaves v/0.25 * dt of travel), along the axis with the larger error.
 */
export function steer(dx: number, dy: number, vx: number, vy: number): number {
  const ex = dx - vx * 0.3;
  const ey = dy - vy * 0.3;
  if (Math.abs(ex) < 0.03 && Math.abs(ey) < 0.03) return NO_OP;
  if (Math.abs(ex) > Math.abs(ey)) return ex > 0 ? RIGHT : LEFT;
  return ey > 0 ? UP : DOWN;
}

/**
 * simple_spread: every agent computes the same greedy landmark assignment (closest agent-landmark
 * pairs first) from the geometry it sees, then goes to its own landmark. Needs the full view.
 */
export function spreadHeuristic(numAgents: number): DecisionPolicy {
  const n = numAgents;
  const size = 4 + 2 * n + 4 * (n - 1);
  // agent 0 here is "me"; others follow in observation order
  const ax = new Float64Array(n);
  const ay = new Float64Array(n);
  const lx = new Float64Array(n);
  const ly = new Float64Array(n);
  const takenAgent = new Uint8Array(n);
  const takenLandmark = new Uint8Array(n);
  return {
    label: 'scripted',
    flops: 0,
    observationSize: size,
    decide(obs, _mask) {
      if (obs.length !== size) throw new Error(`spread heuristic expects the full ${size}-value observation, got ${obs.length}`);
      const vx = obs[0];
      const vy = obs[1];
      for (let l = 0; l < n; l++) {
        lx[l] = obs[4 + 2 * l];
        ly[l] = obs[5 + 2 * l];
      }
      ax[0] = 0;
      ay[0] = 0;
      for (let a = 1; a < n; a++) {
        ax[a] = obs[4 + 2 * n + 2 * (a - 1)];
        ay[a] = obs[5 + 2 * n + 2 * (a - 1)];
      }
      takenAgent.fill(0);
      takenLandmark.fill(0);
      for (let round = 0; round < n; round++) {
        let best = Number.POSITIVE_INFINITY;
        let bestAgent = -1;
        let bestLandmark = -1;
        for (let a = 0; a < n; a++) {
          if (takenAgent[a]) continue;
          for (let l = 0; l < n; l++) {
            if (takenLandmark[l]) continue;
            const d = Math.hypot(lx[l] - ax[a], ly[l] - ay[a]);
            if (d < best) {
              best = d;
              bestAgent = a;
              bestLandmark = l;
            }
          }
        }
        if (bestAgent === 0) return steer(lx[bestLandmark], ly[bestLandmark], vx, vy);
        takenAgent[bestAgent] = 1;
        takenLandmark[bestLandmark] = 1;
      }
      return NO_OP;
    },
  };
}

/** The index of the largest of `count` values starting at `offset`. */
function argmax(values: Float32Array, offset: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** simple_speaker_listener, speaker: say the goal's index (its colour's strongest channel). */
export function speakerHeuristic(): DecisionPolicy {
  return { label: 'scripted', flops: 0, observationSize: 3, decide: (obs) => argmax(obs, 0, 3) };
}

/** simple_speaker_listener, listener: go to the landmark the word names. */
export function listenerHeuristic(): DecisionPolicy {
  return {
    label: 'scripted',
    flops: 0,
    observationSize: 11,
    decide(obs) {
      const goal = argmax(obs, 8, 3);
      return steer(obs[2 + 2 * goal], obs[3 + 2 * goal], obs[0], obs[1]);
    },
  };
}

/** simple_reference: say the colour of the goal I know about; go where the other agent's word points. */
export function referenceHeuristic(): DecisionPolicy {
  return {
    label: 'scripted',
    flops: 0,
    observationSize: 21,
    decide(obs) {
      const say = argmax(obs, 8, 3);
      let heard = -1;
      for (let w = 0; w < 10; w++) if (obs[11 + w] > 0.5) heard = w;
      const move = heard >= 0 && heard < 3 ? steer(obs[2 + 2 * heard], obs[3 + 2 * heard], obs[0], obs[1]) : NO_OP;
      return move + 5 * say;
    },
  };
}

/** simple_tag, adversary: chase the first good agent (the rows after the other adversaries). */
export function tagChaserHeuristic(numAdversaries: number, numObstacles: number, numGood: number): DecisionPolicy {
  const size = 4 + 2 * numObstacles + 2 * (numAdversaries + numGood - 1) + 2 * numGood;
  return {
    label: 'scripted',
    flops: 0,
    observationSize: size,
    decide(obs) {
      const prey = 4 + 2 * numObstacles + 2 * (numAdversaries - 1);
      return steer(obs[prey], obs[prey + 1], 0, 0);
    },
  };
}

/** simple_tag, good agent: run from the nearest adversary, back to the centre near the edge. */
export function tagRunnerHeuristic(numAdversaries: number, numObstacles: number, numGood: number): DecisionPolicy {
  const size = 4 + 2 * numObstacles + 2 * (numAdversaries + numGood - 1) + 2 * (numGood - 1);
  return {
    label: 'scripted',
    flops: 0,
    observationSize: size,
    decide(obs) {
      const x = obs[2];
      const y = obs[3];
      if (Math.abs(x) > 0.8 || Math.abs(y) > 0.8) return steer(-x, -y, 0, 0);
      const base = 4 + 2 * numObstacles;
      let best = Number.POSITIVE_INFINITY;
      let dx = 0;
      let dy = 0;
      for (let a = 0; a < numAdversaries; a++) {
        const d = Math.hypot(obs[base + 2 * a], obs[base + 2 * a + 1]);
        if (d < best) {
          best = d;
          dx = obs[base + 2 * a];
          dy = obs[base + 2 * a + 1];
        }
      }
      return steer(-dx, -dy, 0, 0);
    },
  };
}
