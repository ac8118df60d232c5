// kdmarl eval's greedy episodes of a policy, for the analysis scripts beside this file: loads the
// built tree at ROOT (after npm run build:code) and calls onEpisode(index, outcome, sim) with the
// simulation as each episode left it. Returns evaluate()'s result.
export async function greedyEpisodes(root, scenario, policyPath, { episodes, seed, onEpisode }) {
  const { createSimulation } = await import(`${root}/dist/server/scenarios/registry.js`);
  const { evaluate } = await import(`${root}/dist/agents/eval/evaluate.js`);
  const { loadEvalPolicy } = await import(`${root}/dist/agents/eval/load-eval-policy.js`);
  const loaded = await loadEvalPolicy(policyPath, scenario, createSimulation(scenario, {}));
  return evaluate(scenario, loaded.agents, { episodes, seed, onEpisode });
}
