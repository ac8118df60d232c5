/**
 * Figures for the many-machines model, on one NATS server: a fragment's round trip from a worker's
 * request to the learner taking it (beside an empty request and an echo of the same bytes),
 * fragment bytes, encode / decode time, a worker's env steps/s with the typed-array actors (beside
 * the tfjs actors on the same envs), and the learner's targets + PPO update time.
 *
 *   node dist/agents/learn/nats/measure.js nats://127.0.0.1:4222 [scenario]
 */
import { connect } from '@nats-io/transport-node';
import { Rng } from '../../../shared/rng.ts';
import { encode, decode } from '../../../shared/codec.ts';
import { VecEnv } from '../../../server/env/vec-env.ts';
import { createSimulation, resolveScenario } from '../../../server/scenarios/registry.ts';
import { initBackend } from '../backend.ts';
import { resolveConfig } from '../config.ts';
import { buildTeacherNet } from '../trainer.ts';
import { Collector } from '../rollout.ts';
import { typedActors } from '../typed-actors.ts';
import { Adam } from '../adam.ts';
import { ValueNorm } from '../value-norm.ts';
import { ppoUpdate } from '../ppo.ts';
import { natsExperience } from './learner.ts';
import { fragmentOf, rolloutColumns } from './fragment.ts';
import { originOf } from './identity.ts';

const url = process.argv[2] ?? 'nats://127.0.0.1:4222';
const scenarioName = process.argv[3] ?? 'spread';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

await initBackend();
const config = resolveConfig(scenarioName);
const scenario = resolveScenario(scenarioName);
const { net } = buildTeacherNet(config, scenario, createSimulation(scenario));
const learnerVec = new VecEnv(() => createSimulation(scenario), { numEnvs: config.numEnvs, seed: 1 });
learnerVec.reset();
const learner = new Collector(net, learnerVec, config.rolloutLength);
const source = await natsExperience({ url, run: 'measure' }, { config, scenario, buffer: learner.buffer, policy: () => net.toPolicyFile(scenario.file.name, 'measure'), version: 0, log: () => {}, onStop: () => {} });
const fE = source.identity.fragmentEnvs;
let filling = true;
const fills = (async () => {
  while (filling) await source.fill([]);
})();

// A worker's collection: typed-array actors (a worker) and tfjs actors (the learner's own) on the same fE envs.
const makeVec = () => {
  const v = new VecEnv(() => createSimulation(scenario), { numEnvs: fE, seed: 2 });
  v.reset();
  return v;
};
const typed = new Collector(net, makeVec(), config.rolloutLength, 0, { actor: typedActors(net.toPolicyFile(scenario.file.name, 'measure'), net.groups.map((g) => g.name)) });
const tfjs = new Collector(net, makeVec(), config.rolloutLength);
const rng = new Rng(3);
const typedSeconds: number[] = [];
const tfjsSeconds: number[] = [];
for (let i = 0; i < 12; i++) {
  for (const [c, out] of [[typed, typedSeconds], [tfjs, tfjsSeconds]] as const) {
    const t0 = performance.now();
    c.collectSteps(rng, []);
    out.push((performance.now() - t0) / 1000);
  }
}
const fragmentSteps = fE * config.rolloutLength;

const typedColumns = rolloutColumns(typed.buffer);
const meta = { origin: originOf(source.identity), worker: 'measure', session: 'x', weightsVersion: 0 };
const encodeMs: number[] = [];
const decodeMs: number[] = [];
let bytes = encode(fragmentOf(typedColumns, meta, []));
for (let i = 0; i < 30; i++) {
  let t0 = performance.now();
  bytes = encode(fragmentOf(typedColumns, meta, []));
  encodeMs.push(performance.now() - t0);
  t0 = performance.now();
  decode(bytes);
  decodeMs.push(performance.now() - t0);
}

// Round trips: to the learner taking the fragment (decode, checks, copy, reply), an echo of the same bytes, an empty request.
const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
const echo = nc.subscribe('measure.echo', { callback: (_e, m) => { m.respond(m.data); } });
const empty = nc.subscribe('measure.empty', { callback: (_e, m) => { m.respond(); } });
const rtt = { take: [] as number[], echo: [] as number[], empty: [] as number[] };
for (let i = 0; i < 100; i++) {
  let t0 = performance.now();
  await nc.request('kdmarl.measure.fragment', bytes, { timeout: 10_000 });
  rtt.take.push(performance.now() - t0);
  t0 = performance.now();
  await nc.request('measure.echo', bytes, { timeout: 10_000 });
  rtt.echo.push(performance.now() - t0);
  t0 = performance.now();
  await nc.request('measure.empty', new Uint8Array(0), { timeout: 10_000 });
  rtt.empty.push(performance.now() - t0);
}
echo.unsubscribe();
empty.unsubscribe();

// The learner's side of an update: critic targets and PPO on a full batch.
const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
const valueNorm = new ValueNorm();
const updateSeconds: number[] = [];
for (let i = 0; i < 4; i++) {
  learner.collectSteps(rng, []);
  const t0 = performance.now();
  learner.computeTargets(valueNorm, config.gamma, config.gaeLambda);
  ppoUpdate(net, learner.buffer, valueNorm, actorOpts, criticOpt, config, rng, true, null);
  updateSeconds.push((performance.now() - t0) / 1000);
}

filling = false;
await source.close();
await fills.catch(() => undefined);
await nc.close();
const r = (x: number, d = 3) => Number(x.toFixed(d));
console.log(JSON.stringify({
  scenario: scenario.file.name,
  batch: { envs: config.numEnvs, steps: config.rolloutLength, agents: net.shape.agentNames.length, actorHidden: config.actorHidden, epochs: config.epochs },
  fragment: { envs: fE, steps: config.rolloutLength, bytes: bytes.length, encodeMsMedian: r(median(encodeMs)), decodeMsMedian: r(median(decodeMs)) },
  roundTripMs: { toLearnerMedian: r(median(rtt.take)), toLearnerP90: r(p90(rtt.take)), echoSameBytesMedian: r(median(rtt.echo)), emptyMedian: r(median(rtt.empty)) },
  workerEnvStepsPerSecond: { typedActorsMedian: r(fragmentSteps / median(typedSeconds), 0), tfjsActorsMedian: r(fragmentSteps / median(tfjsSeconds), 0) },
  learnerUpdateSecondsMedian: r(median(updateSeconds)),
}, null, 1));
net.dispose();
process.exit(0);
