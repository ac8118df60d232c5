import type { Simulation } from '../../server/env/simulation.ts';
import { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import type { DecisionPolicy } from './decision-policy.ts';
import { MicroTeam } from './micro-team.ts';
import type { MicroVariant } from './micro-settings.ts';

/** The eval / imitate `--policy` spec of each variant. */
export const MICRO_SPECS: Readonly<Record<string, MicroVariant>> = {
  'scripted-micro': 'full',
  'scripted-micro-imitable': 'imitable',
};

/** What each variant is, for the --policy / --expert help of every command that takes one. */
const VARIANT_SUMMARY: Readonly<Record<MicroVariant, string>> = {
  full: 'privileged SMAC micro reading the battle state',
  imitable: 'the same plan without what agents cannot observe',
};

/** The micro specs for a command's help: "'scripted-micro' (...) or 'scripted-micro-imitable' (...)". */
export const MICRO_SPECS_HELP = Object.entries(MICRO_SPECS)
  .map(([spec, variant]) => `'${spec}' (${VARIANT_SUMMARY[variant]})`)
  .join(' or ');
/**
 * `--policy scripted-micro`: a hand-written, *privileged* micro baseline for SMAC-family battles.
 * It does not read the agents' observations: it reads the simulation's battle state (every
 * unit's position, health and shield, and which ally each enemy is targeting), which no deployed
 * agent sees. It exists as a measure of the simulator's headroom, what coordinated micro can win,
 * against which the teachers are judged. Over kdmarl eval's 200-episode list on the band maps
 * (SMAClite's enemy) it wins 99.0% on 3m, 100% on 8m, 45.5% on 2s3z and 100% on MMM (the
 * observation-only `scripted` baseline: 54.0% on 3m, 22.0% on 8m); the imitable variant 99.0%,
 * 100%, 23.0% and 100% (the retreat is what 2s3z's shielded units need).
 *
 * The team plays as one: before contact the allies form a line facing the enemy (those ahead
 * step back) and advance it while the enemy holds its ground, then the allies take one shared
 * target (the quickest kill for the allies in range), a targeted ally low on health that can
 * recover away (shields, or an allied healer) steps out of its attackers' reach when a move gains
 * enough distance, so the enemy's shots are wasted while the others keep firing, and the shots
 * are split so each target gets just what kills it (on 8m, focus fire alone won
 * 68.5%: a unit dying early in a step leaves the rest of its shooters idle to the step's end).
 * Line and retreat were tuned on 3m; health thresholds are in volleys of the units involved, so
 * other SMAC maps run too, allied healers healing the most hurt ally in reach.
 *
 * The policies read the simulation passed to `attach`, which evaluate() calls with the
 * simulation it steps; every action they return is in the agent's mask.
 */
export function smacMicroPolicies(sim: Simulation, scenarioName: string, variant: MicroVariant = 'full'): DecisionPolicy[] {
  const label = Object.keys(MICRO_SPECS).find((spec) => MICRO_SPECS[spec] === variant)!;
  if (!(sim instanceof SmacSimulation)) {
    throw new Error(`${label} reads a SMAC battle's state (unit positions, health, enemy targets); '${scenarioName}' is not a SMAC-family scenario`);
  }
  const team = new MicroTeam(label, scenarioName, variant);
  return sim.agentNames.map((_, agent) => ({
    label,
    flops: 0,
    observationSize: sim.layouts[agent].size,
    decide: (_observation, mask) => team.decide(agent, mask),
    reset: () => team.reset(),
    attach: (stepped) => team.attach(stepped),
  }));
}
