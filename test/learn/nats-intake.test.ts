import { describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import { buildTeacherNet } from '../../agents/learn/trainer.ts';
import { RolloutBuffer } from '../../agents/learn/rollout.ts';
import { resolveScenario, createSimulation } from '../../server/scenarios/registry.ts';
import { decode, encode } from '../../shared/codec.ts';
import { FragmentIntake, progressNote } from '../../agents/learn/nats/intake.ts';
import { fragmentOf, rolloutColumns, type Fragment } from '../../agents/learn/nats/fragment.ts';
import { hashWork, makeIdentity, originOf } from '../../agents/learn/nats/identity.ts';
import { tinyAgentStateConfig } from './helpers.ts';

const T = 5;
const E = 4;
const FE = 2;

async function setup() {
  await initBackend('cpu');
  // An 'agent_state' critic: fragments carry per-agent observations too.
  const config = tinyAgentStateConfig({ numEnvs: E, rolloutLength: T });
  const scenario = resolveScenario(config.scenario);
  const { net } = buildTeacherNet(config, scenario, createSimulation(scenario));
  const identity = makeIdentity('test', { kind: 'train', config }, scenario, FE);
  const lines: string[] = [];
  const intake = new FragmentIntake(identity, { maxStaleness: 1, session: 's1', log: (m) => lines.push(m) });
  const batch = new RolloutBuffer(net, T, E);
  /** A hand-made fragment whose every value says where it came from: base + its index in the array. */
  const fragment = (base: number, meta: Partial<Fragment> = {}): Fragment => {
    const b = new RolloutBuffer(net, T, FE);
    const arrays = [...b.groupInputs, ...b.groupMasks, b.actions, b.logp, b.rewards, b.active, b.terminated, b.episodeEnd, b.states, b.finalStates, b.truncated, b.bootstrapStates, ...b.criticObs, ...b.finalCriticObs, ...b.bootstrapCriticObs];
    for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] = a instanceof Uint8Array ? (base + i) % 2 : base + i;
    const f = fragmentOf(rolloutColumns(b), { origin: originOf(identity), worker: 'w1', session: 's1', weightsVersion: 0 }, [{ env: 0, teamReturn: base, returns: new Float32Array(3), length: 3, won: false, terminated: true, metrics: {} as never }]);
    // Through the wire format, as the learner gets it.
    return { ...(decode(encode(f)) as Fragment), ...meta };
  };
  return { net, config, identity, intake, batch, fragment, lines };
}

describe('FragmentIntake', () => {
  it('copies fragments into the batch env columns, behaviour log-probabilities included', async () => {
    const { net, intake, batch, fragment } = await setup();
    const episodes: unknown[] = [];
    intake.begin(rolloutColumns(batch), episodes as never);
    const f0 = fragment(1000);
    const f1 = fragment(5000);
    expect(intake.offer(f0).status).toBe('accepted');
    expect(intake.full).toBe(false);
    expect(intake.offer(f1).status).toBe('accepted');
    expect(intake.full).toBe(true);
    expect(episodes).toHaveLength(2);
    const N = batch.numAgents;
    const S = net.shape.stateSize;
    for (const [k, f] of [f0, f1].entries()) {
      for (let t = 0; t < T; t++) {
        for (let e = 0; e < FE; e++) {
          for (let a = 0; a < N; a++) {
            expect(batch.logp[t * E * N + (k * FE + e) * N + a]).toBe(f.step.logp[t * FE * N + e * N + a]);
            expect(batch.actions[t * E * N + (k * FE + e) * N + a]).toBe(f.step.actions[t * FE * N + e * N + a]);
          }
          expect(batch.states[(t * E + k * FE + e) * S + 3]).toBe(f.step.states[(t * FE + e) * S + 3]);
          expect(batch.truncated[t * E + k * FE + e]).toBe(f.step.truncated[t * FE + e]);
          const size = batch.criticObs[1].length / (T * E);
          expect(batch.criticObs[1][(t * E + k * FE + e) * size + 2]).toBe(f.step['criticObs[1]'][(t * FE + e) * size + 2]);
        }
        net.groups.forEach((g, gi) => {
          const width = g.agents.length * g.inputSize;
          expect(Array.from(batch.groupInputs[gi].subarray((t * E + k * FE) * width, (t * E + k * FE + FE) * width))).toEqual(Array.from(f.step[`groupInputs[${gi}]`].subarray(t * FE * width, (t + 1) * FE * width)));
        });
      }
      expect(Array.from(batch.bootstrapStates.subarray(k * FE * S, (k + 1) * FE * S))).toEqual(Array.from(f.env.bootstrapStates));
    }
    net.dispose();
  });

  it('drops a fragment more than maxStaleness updates old and trains on a one-update-old one', async () => {
    const { net, intake, batch, fragment } = await setup();
    intake.version = 3;
    intake.begin(rolloutColumns(batch), []);
    expect(intake.offer(fragment(0, { weightsVersion: 1 }))).toEqual({ status: 'stale', staleness: 2 });
    expect(intake.filled).toBe(0);
    expect(intake.dropped).toBe(1);
    // A learner that restarted (another session) drops what the old one's weights collected.
    expect(intake.offer(fragment(0, { weightsVersion: 3, session: 'old' })).status).toBe('stale');
    expect(intake.dropped).toBe(2);
    const old = fragment(700, { weightsVersion: 2 });
    expect(intake.offer(old)).toEqual({ status: 'accepted', staleness: 1 });
    expect(intake.offer(fragment(900, { weightsVersion: 3 }))).toEqual({ status: 'accepted', staleness: 0 });
    // The PPO ratio divides by the behaviour policy's probabilities: the old fragment's own.
    expect(Array.from(batch.logp.subarray(0, FE * batch.numAgents))).toEqual(Array.from(old.step.logp.subarray(0, FE * batch.numAgents)));
    const m = intake.takeMetrics();
    expect(m['fragments/staleness_mean']).toBe(0.5);
    expect(m['fragments/dropped_stale']).toBe(2);
    expect(m['fragments/workers']).toBe(1);
    expect(m['workers/w1/fragments_per_s']).toBeGreaterThan(0);
    net.dispose();
  });

  it('refuses another config, scenario or version by name, one line per worker', async () => {
    const { net, intake, batch, fragment, identity, lines } = await setup();
    intake.begin(rolloutColumns(batch), []);
    const other = { ...originOf(identity), configHash: 'feedfeedfeedfeed' };
    const first = intake.offer(fragment(0, { origin: other, worker: 'w9' }));
    expect(first.status).toBe('refused');
    expect(intake.offer(fragment(0, { origin: other, worker: 'w9' })).status).toBe('refused');
    expect(intake.offer(fragment(0, { origin: { ...originOf(identity), version: '0.0.1' }, worker: 'w8' })).status).toBe('refused');
    expect(intake.offer(fragment(0, { origin: { ...originOf(identity), scenario: '3m' }, worker: 'w7' })).status).toBe('refused');
    const refusals = lines.filter((l) => l.includes('refused'));
    expect(refusals).toHaveLength(3);
    expect(refusals[0]).toMatch(/^worker w9 refused: .*config feedfeedfeedfeed \(the run's is [0-9a-f]{16}\)/);
    expect(refusals[1]).toMatch(/^worker w8 refused: .*kdmarl 0\.0\.1/);
    expect(refusals[2]).toMatch(/^worker w7 refused: .*scenario 3m/);
    expect(intake.filled).toBe(0);
    expect(intake.refused).toBe(4);
    net.dispose();
  });

  it("hashes what workers collect with, not the step budget a resume may raise", async () => {
    const { net, config, identity } = await setup();
    const scenario = resolveScenario(config.scenario);
    const hash = (c: typeof config) => hashWork({ kind: 'train', config: c }, scenario.file);
    expect(hash(config)).toBe(identity.configHash);
    expect(hash({ ...config, totalSteps: config.totalSteps * 3 })).toBe(identity.configHash);
    expect(hash({ ...config, lr: config.lr * 2 })).not.toBe(identity.configHash);
    expect(hash({ ...config, rolloutLength: config.rolloutLength + 1 })).not.toBe(identity.configHash);
    net.dispose();
  });

  it('refuses a fragment of another shape', async () => {
    const { net, intake, batch, fragment } = await setup();
    intake.begin(rolloutColumns(batch), []);
    const f = fragment(0);
    const verdict = intake.offer({ ...f, step: { ...f.step, actions: f.step.actions.subarray(1) } });
    expect(verdict.status).toBe('refused');
    expect(verdict.status === 'refused' && verdict.reason).toMatch(/actions has \d+ values, expected \d+/);
    net.dispose();
  });
});

describe('the progress line of a run on NATS', () => {
  const window = (rates: Record<string, number>) => ({
    'fragments/workers': Object.keys(rates).length,
    'fragments/staleness_mean': 0.5,
    'fragments/dropped_stale': 3,
    'fragments/refused': 0,
    ...Object.fromEntries(Object.entries(rates).flatMap(([id, r]) => [[`workers/${id}/fragments_per_s`, r / 400], [`workers/${id}/env_steps_per_s`, r]])),
  });

  it("names each worker's env steps/s, the fastest first, with the total, staleness and drops", () => {
    expect(progressNote(window({ a: 200.4, b: 250 }))).toBe('2 workers 450 env steps/s (b 250, a 200), stale 0.50, dropped 3');
    expect(progressNote(window({ solo: 99.6 }))).toBe('1 worker 100 env steps/s (solo 100), stale 0.50, dropped 3');
    expect(progressNote(window({}))).toBe('0 workers 0 env steps/s, stale 0.50, dropped 3');
  });

  it('counts the workers past the fourth instead of naming them', () => {
    expect(progressNote(window({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }))).toBe('6 workers 21 env steps/s (f 6, e 5, d 4, c 3, +2 more), stale 0.50, dropped 3');
  });
});
