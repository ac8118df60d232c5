import { resolveConfig, type TrainConfig } from '../../agents/learn/config.ts';

/** A tiny, fast training config on spread for tests. */
export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig('spread', {}, {
    actorHidden: [16, 16],
    criticHidden: [16, 16],
    numEnvs: 4,
    rolloutLength: 10,
    epochs: 2,
    totalSteps: 200,
    evalEvery: 0,
    evalEpisodes: 2,
    checkpointEvery: 2,
    ...overrides,
  });
}

/**
 * A tiny config with MAPPO's agent-specific critic on speaker_listener, whose agents see 3 and 11
 * values: the critic pads the speaker's observation.
 */
export function tinyAgentStateConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig('speaker_listener', {}, {
    actorHidden: [16, 16],
    criticHidden: [16, 16],
    numEnvs: 4,
    rolloutLength: 10,
    epochs: 2,
    totalSteps: 400,
    evalEvery: 0,
    evalEpisodes: 2,
    checkpointEvery: 2,
    criticInput: 'agent_state',
    ...overrides,
  });
}
