/**
 * `node dist/bench/smac-overlap.js [steps]`: how deep touching units sink into each other in the
 * SMAC `matter` movement, current settings against the reference ones, on the same action policy
 * (mostly attack the first enemy in range, which crowds the units, else a random allowed action).
 * Overlap is (r_a + r_b - distance) / (r_a + r_b) over same-layer live pairs within 0.1% of touching,
 * sampled after every env step.
 */
import { Rng } from '../shared/rng.ts';
import { resolveScenario } from '../server/scenarios/registry.ts';
import { smacFamily } from '../server/smac/family.ts';
import { MATTER_REFERENCE_SETTINGS, MATTER_SETTINGS, type MatterSettings } from '../server/smac/matter-movement.ts';
import { SmacSimulation } from '../server/smac/smac-simulation.ts';
import { ACTION } from '../shared/smac-actions.ts';

/**
 * Seeded actions that crowd the units: mostly an attack on the first enemy in range, else a
 * random allowed action (masks read from `sim`).
 */
export function crowdingActions(sim: SmacSimulation, rng: Rng, actions: Int32Array): void {
  const mask = new Uint8Array(sim.actionCounts[0]);
  for (let i = 0; i < actions.length; i++) {
    sim.writeMask(i, mask, 0);
    const attack = mask.indexOf(1, ACTION.firstTarget);
    if (attack >= 0 && rng.uniform() < 0.7) {
      actions[i] = attack;
      continue;
    }
    let a = Math.floor(rng.uniform() * mask.length);
    while (mask[a] !== 1) a = (a + 1) % mask.length;
    actions[i] = a;
  }
}

/** Appends the overlap of every live same-layer pair within 0.1% of touching, as a fraction of their summed radii. */
export function touchingOverlaps(sim: SmacSimulation, out: number[]): void {
  const b = sim.battle;
  for (let u = 0; u < b.n; u++) {
    for (let v = u + 1; v < b.n; v++) {
      if (b.alive[u] === 0 || b.alive[v] === 0 || b.air[u] !== b.air[v]) continue;
      const rsum = b.radius[u] + b.radius[v];
      const d = b.distance(u, v);
      if (d < rsum * 1.001) out.push(Math.max(0, (rsum - d) / rsum));
    }
  }
}

export type OverlapFigure = { scenario: string; settings: MatterSettings; touching: number; mean: number; p50: number; p99: number; max: number };

export function measureOverlap(scenario: string, settings: MatterSettings, steps: number): OverlapFigure {
  const sim = new SmacSimulation(smacFamily.schema.parse(resolveScenario(scenario).file), 'matter', settings);
  const rng = new Rng(7);
  const n = sim.agentNames.length;
  const actions = new Int32Array(n);
  const rewards = new Float32Array(n);
  const found: number[] = [];
  sim.reset(rng);
  for (let t = 0; t < steps; t++) {
    crowdingActions(sim, rng, actions);
    sim.step(actions, rewards);
    touchingOverlaps(sim, found);
    if (sim.terminated || sim.t >= sim.maxSteps) sim.reset(rng);
  }
  found.sort((x, y) => x - y);
  const at = (q: number): number => found[Math.floor(q * (found.length - 1))];
  const mean = found.reduce((s, f) => s + f, 0) / found.length;
  return { scenario, settings, touching: found.length, mean, p50: at(0.5), p99: at(0.99), max: found[found.length - 1] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = Number(process.argv[2] ?? 10000);
  if (!Number.isInteger(steps) || steps <= 0) {
    console.error(`steps: expected a positive whole number, got '${process.argv[2]}'`);
    process.exit(1);
  }
  const percent = (f: number): string => `${(100 * f).toFixed(2)}%`;
  for (const scenario of ['3m', '8m', 'MMM']) {
    for (const [label, settings] of [['current', MATTER_SETTINGS], ['reference', MATTER_REFERENCE_SETTINGS]] as const) {
      const f = measureOverlap(scenario, settings, steps);
      console.log(
        `${scenario.padEnd(4)} ${label.padEnd(9)} (${settings.substepsPerTick} substeps, ${settings.positionIterations} iterations): ${f.touching} touching pairs, overlap mean ${percent(f.mean)}, p50 ${percent(f.p50)}, p99 ${percent(f.p99)}, max ${percent(f.max)}`,
      );
    }
  }
}
