import type { ScenarioSummary } from './scenarios-command.ts';

/** `2 stalkers, 3 zealots` from per-type counts in first-seen order. */
function countTypes(types: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${n === 1 ? type : plural(type)}`).join(', ');
}

function plural(word: string): string {
  return /[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`;
}

/** Distinct values in first-seen order, joined: one figure when every agent shares it. */
function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(', ');
}

/**
 * The scenarios as a Markdown table (the README's scenario table is this output), MPE first, then
 * SMAC, each family in name order. Observation sizes are teacher (full) view / default student view.
 */
export function scenariosMarkdown(all: Readonly<Record<string, ScenarioSummary>>): string {
  const rows = Object.entries(all).sort(([a, x], [b, y]) => x.family.localeCompare(y.family) || a.localeCompare(b));
  const lines = [
    '| scenario | agents | scripted opponents | observation (teacher / student) | actions | state | steps | physics |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const [name, s] of rows) {
    const agents = Object.values(s.agents);
    const cells = [
      `\`${name}\``,
      countTypes(agents.map((a) => a.type)),
      countTypes(s.opponents) || '-',
      distinct(agents.map((a) => `${a.observationSize} / ${a.studentObservationSize}`)),
      distinct(agents.map((a) => String(a.actionCount))),
      String(s.stateSize),
      String(s.maxSteps),
      s.physicsModes.join(' / '),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
