import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { resolveConfig, type TrainConfig } from '../../agents/learn/config.ts';
import { Collector, FULL_VIEW_SET } from '../../agents/learn/rollout.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { scenarioShape } from '../../agents/learn/trainer.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { Rng } from '../../shared/rng.ts';

/** A tfjs ActorCritic with its Adams and one collected rollout, the input both learners are compared on. */
export type Setup = { config: TrainConfig; net: ActorCritic; actorOpts: Adam[]; criticOpt: Adam; collector: Collector };

export function setup(scenario: string, overrides: Partial<TrainConfig>): Setup {
  const config = resolveConfig(scenario, {}, { actorHidden: [16, 16], criticHidden: [16, 16], numEnvs: 4, rolloutLength: 10, epochs: 2, evalEvery: 0, ...overrides });
  const probe = createSimulation(scenario);
  const agentState = config.criticInput === 'agent_state';
  const vec = new VecEnv(() => createSimulation(scenario), { numEnvs: config.numEnvs, seed: 3, ...(agentState ? { viewSets: { [FULL_VIEW_SET]: [] } } : {}) });
  vec.reset();
  const net = new ActorCritic(scenarioShape(probe), { ...config, denseMode: 'custom', criticObservationSizes: probe.layouts.map((l) => l.size) });
  const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
  const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
  const collector = new Collector(net, vec, config.rolloutLength);
  collect(collector, config);
  return { config, net, actorOpts, criticOpt, collector };
}

export function collect(collector: Collector, config: TrainConfig, seed = 5): void {
  const episodes: EpisodeSummary[] = [];
  collector.collect(new Rng(seed), new ValueNorm(), config.gamma, config.gaeLambda, episodes);
}

/** Largest absolute difference between two weight sets keyed alike, and the largest weight change from `start`. */
export function weightGap(a: Record<string, Float32Array[]>, b: Record<string, Float32Array[]>, start: Record<string, Float32Array[]>): { gap: number; moved: number } {
  let gap = 0;
  let moved = 0;
  for (const key of Object.keys(start)) {
    start[key].forEach((s, i) => {
      for (let j = 0; j < s.length; j++) {
        gap = Math.max(gap, Math.abs(a[key][i][j] - b[key][i][j]));
        moved = Math.max(moved, Math.abs(a[key][i][j] - s[j]));
      }
    });
  }
  return { gap, moved };
}

export function dispose(s: Setup): void {
  for (const o of s.actorOpts) o.dispose();
  s.criticOpt.dispose();
  s.net.dispose();
}
