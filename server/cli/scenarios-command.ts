import { bool, common, defineCommand } from '../../shared/cli-args.ts';
import { builtinScenarios, createSimulation, type LoadedScenario } from '../scenarios/registry.ts';
import { defaultStudentViews } from '../scenarios/student-views.ts';
import { ObservationView } from '../views/view.ts';
import { scenariosMarkdown } from './scenarios-markdown.ts';

export type ScenarioSummary = {
  family: string;
  description: string;
  physics: string;
  physicsModes: string[];
  maxSteps: number;
  stateSize: number;
  agents: Record<string, { type: string; observationSize: number; studentObservationSize: number; actionCount: number }>;
  /** Types of the actors no policy controls (SMAC enemies, a scripted prey), one entry per actor. */
  opponents: string[];
};

export function summarizeScenario(loaded: LoadedScenario): ScenarioSummary {
  const sim = createSimulation(loaded);
  const studentViews = defaultStudentViews(loaded, sim);
  const agents: ScenarioSummary['agents'] = {};
  sim.agentNames.forEach((name, i) => {
    agents[name] = {
      type: sim.entities.find((e) => e.name === name)?.type ?? 'agent',
      observationSize: sim.layouts[i].size,
      studentObservationSize: new ObservationView(sim.layouts[i], studentViews[i]).size,
      actionCount: sim.actionCounts[i],
    };
  });
  return {
    family: loaded.file.family,
    description: String(loaded.file.description ?? ''),
    physics: loaded.file.physics,
    physicsModes: [...loaded.family.physicsModes],
    maxSteps: sim.maxSteps,
    stateSize: sim.stateSize,
    agents,
    opponents: sim.entities.filter((e) => e.agent === -1 && e.team === 1 && (e.kind === 'unit' || e.kind === 'agent')).map((e) => e.type),
  };
}

const command = defineCommand('scenarios', {
  json: common.json('print one JSON object keyed by scenario name'),
  markdown: bool("print the scenarios as a Markdown table (the README's scenario table)"),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const all: Record<string, ScenarioSummary> = {};
  if (args.json && args.markdown) throw new Error('--json and --markdown: give one of them');
  for (const [name, loaded] of builtinScenarios()) all[name] = summarizeScenario(loaded);
  if (args.markdown) {
    console.log(scenariosMarkdown(all));
    return 0;
  }
  if (args.json) {
    console.log(JSON.stringify(all));
    return 0;
  }
  for (const [name, s] of Object.entries(all)) {
    const agentList = Object.entries(s.agents);
    const groups = new Map<string, string[]>();
    for (const [agent, a] of agentList) {
      const key = `obs ${a.observationSize} (student ${a.studentObservationSize}), ${a.actionCount} actions`;
      groups.set(key, [...(groups.get(key) ?? []), agent]);
    }
    console.log(`${name}  [${s.family}, physics ${s.physicsModes.join('|')}, ${s.maxSteps} steps, state ${s.stateSize}]`);
    if (s.description) console.log(`  ${s.description}`);
    for (const [key, names] of groups) console.log(`  ${names.join(', ')}: ${key}`);
  }
  return 0;
}
