import type { StudentRollout } from './update.ts';

/** Checks one rollout row's agents against what `kdmarl teacher --students-sample` declares. */
export type SamplingCheck = (rollout: StudentRollout, t: number, sampled: Uint8Array | undefined) => void;

/**
 * `--students-sample` checked against the agents: the server's step frames say which slots' agents
 * sample their actions from their policy (`kdmarl agent --sample`). A row L_PG would train on (the
 * agent alive, its own action applied) whose agent acts greedily is no sample of the students, so
 * the flag is refused, as greedy envs are. Agents that sample while the flag is absent only leave
 * L_PG unused: said once.
 */
export function samplingCheck(studentsSample: boolean, agentNames: readonly string[], log: (message: string) => void): SamplingCheck {
  let said = false;
  return (rollout, t, sampled) => {
    for (let a = 0; a < agentNames.length; a++) {
      if (rollout.active[a][t] !== 1) continue;
      const samples = sampled?.[a] === 1;
      if (studentsSample && !samples) {
        const why = sampled ? 'its agent process runs without --sample' : 'the server does not say it samples';
        throw new Error(`--students-sample: the agent of slot ${a} (${agentNames[a]}) acts greedily (${why}), so its actions are no samples of the students for L_PG; start the agents with --sample or leave --students-sample out`);
      }
      if (!studentsSample && samples && !said) {
        said = true;
        log(`teacher: the agent of slot ${a} (${agentNames[a]}) samples its actions, but without --students-sample L_PG stays left out`);
      }
    }
  };
}
