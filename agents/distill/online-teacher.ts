import { join } from 'node:path';
import WebSocket from 'ws';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { createPackr } from '../../shared/codec.ts';
import { FRAME, PROTOCOL_VERSION, ROLES, SUPERVISOR_PATH, type SupervisorStepFrame } from '../../shared/protocol.ts';
import type { WelcomeMessage } from '../../shared/handshake-protocol.ts';
import { Rng } from '../../shared/rng.ts';
import type { PolicyFile } from '../../shared/model-format.ts';
import { createSimulation, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { initBackend } from '../learn/backend.ts';
import { Adam } from '../learn/adam.ts';
import { logProbMasked } from '../learn/sampling.ts';
import { RunLoop } from '../run/run-loop.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { STUDENT_POLICY } from './distiller.ts';
import { writePolicyFile } from '../learn/checkpoint.ts';
import { AgentPolicyRuntime, loadPolicyFile } from '../runtime/policy-runtime.ts';
import type { DistillConfig } from './config.ts';
import { loadFrozenTeacher } from './frozen-teacher.ts';
import { loadStudentProfile, planStudents, type StudentPlan } from './student-plan.ts';
import { StudentTeam } from './student-team.ts';
import { headsInUse } from './losses.ts';
import { StudentRollout, distillUpdate, type DistillContext, type UpdateStats } from './update.ts';
import { FrameBacklog, breaksContinuity } from './frame-backlog.ts';
import { samplingCheck } from './students-sampling.ts';

/** Frames kept while the teacher is busy; past this the oldest are dropped. */
const MAX_QUEUED_FRAMES = 4096;
/** Frames handled between two turns of the event loop. */
const FRAMES_PER_SLICE = 64;

export type OnlineTeacherOptions = {
  /** ws://host:port of `kdmarl serve` / `kdmarl up`. */
  server: string;
  /** The server's control token (supervisors authenticate with it). */
  token: string;
  teacher: string;
  profile: string;
  /** Students to start from (the policy the agents run); fresh students when absent. */
  initialStudents?: string;
  /** Env steps of the networked world per update. */
  rolloutSteps: number;
  /** Stop after this many updates (0 = until Ctrl-C or the server closes). */
  updates: number;
  outDir: string;
  config: DistillConfig;
  /**
   * The agent processes sample their actions (`kdmarl agent --sample`). Agents act greedily by
   * default, and a greedy action is no sample of pi_S, so then L_PG trains on no row (as in the
   * distiller's greedy envs); the other terms train on every row either way. Checked against the
   * agents (the step frames say which sample): a greedy agent under it is refused.
   */
  studentsSample: boolean;
  producedBy: string;
  log: (message: string) => void;
  /** Called after each update (tests, status lines). */
  onUpdate?: (update: number, stats: UpdateStats, pushed: boolean) => void;
};

/**
 * Online distillation (beyond the paper, whose distillation is offline only): the teacher joins
 * a running server as its supervisor, receives every transition the networked students make
 * (their own limited observations, its own full ones, the state), runs the same update as
 * `kdmarl distill`, and pushes the new students to the agent processes, which swap them in at the
 * next episode boundary.
 *
 * Differences from offline distillation, by construction: one world (E = 1); log pi_S_old comes
 * from the students last pushed (agents may still finish an episode on the generation before);
 * a fallback action (late, missing) is not the student's, so that sample is left out; a truncated
 * episode bootstraps from its last state (and, for an 'agent_state' critic, its last full observations),
 * the only ones the stream carries.
 */
export async function runOnlineTeacher(o: OnlineTeacherOptions): Promise<{ updates: number; steps: number }> {
  // Greedy collection is a choice about envs the distiller steps itself; here the agent processes
  // choose, and studentsSample says how.
  if (o.config.greedyEnvs > 0) throw new Error(`config: greedyEnvs: online distillation steps no envs of its own (the networked agent processes choose their actions), so it cannot make ${o.config.greedyEnvs} of them greedy; set greedyEnvs to 0`);
  const packr = createPackr();
  const url = o.server.replace(/^http/, 'ws').replace(/\/+$/, '') + SUPERVISOR_PATH;
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.binaryType = 'nodebuffer';
  const closed = new Promise<string>((resolve) => ws.on('close', (code, reason) => resolve(`${code} ${reason.toString()}`)));
  ws.on('error', (error) => o.log(`teacher: connection error: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (error) => reject(new Error(`cannot connect to ${url}: ${error.message}`)));
  });
  ws.send(packr.pack({ kind: 'hello', version: PROTOCOL_VERSION, role: ROLES.supervisor, token: o.token }));

  const queue = new FrameBacklog<SupervisorStepFrame>(MAX_QUEUED_FRAMES);
  let welcome: WelcomeMessage | null = null;
  let wake: (() => void) | null = null;
  let closeReason: string | null = null;
  ws.on('message', (data: Buffer) => {
    let value: unknown;
    try {
      value = packr.unpack(data);
    } catch {
      return;
    }
    if (Array.isArray(value) && value[0] === FRAME.step) queue.push(value as SupervisorStepFrame);
    else if (value && typeof value === 'object' && (value as { kind?: string }).kind === 'welcome') welcome = value as WelcomeMessage;
    else if (value && typeof value === 'object' && (value as { kind?: string }).kind === 'error') o.log(`teacher: server says ${(value as { message?: string }).message}`);
    wake?.();
  });
  void closed.then((reason) => {
    closeReason = reason;
    wake?.();
  });
  const waitForMessage = () => new Promise<void>((resolve) => (wake = resolve));
  while (!welcome && !closeReason) await waitForMessage();
  if (!welcome) throw new Error(`server closed the supervisor connection: ${closeReason}`);
  const w: WelcomeMessage = welcome;

  const scenario = resolveScenario(w.scenario);
  const sim = createSimulation(scenario);
  const { profile, path: profilePath } = loadStudentProfile(o.profile, scenario.file.name);
  const plans = planStudents(profile, scenario, sim, o.config.layerNorm, profilePath);
  plans.forEach((p, a) => {
    if (p.observationSize !== w.studentSizes[a]) {
      throw new Error(`${profilePath}: ${p.agent}'s student view has ${p.observationSize} values but the server sends ${w.studentSizes[a]} (the agents run another view)`);
    }
  });
  o.log(o.studentsSample ? 'teacher: the agents sample their actions (--students-sample): L_PG trains on them' : 'teacher: the agents act greedily (no --students-sample): L_PG is left out, the other terms train');
  const checkSampling = samplingCheck(o.studentsSample, w.agentNames, o.log);
  const backend = await initBackend(o.config.backend === 'auto' ? undefined : o.config.backend);
  const teacher = loadFrozenTeacher(o.teacher, { agentNames: w.agentNames, observationSizes: w.teacherSizes, actionCounts: w.actionCounts, stateSize: w.stateSize }, scenario.file.name);
  const team = new StudentTeam(plans, { layerNorm: o.config.layerNorm, projectionWidth: o.config.projectionWidth, numRoles: o.config.numRoles, seed: o.config.seed });
  if (o.initialStudents) team.loadActors(loadPolicyFile(o.initialStudents), o.initialStudents);
  const N = plans.length;
  const heads = headsInUse(o.config, N);
  const adam = new Adam(team.variables(heads), o.config.lr, o.config.adamEps);
  const ctx: DistillContext = { teacher, team, adam, plans, config: o.config, rng: new Rng(o.config.seed), centroids: null };
  o.log(`teacher: supervising '${w.scenario}' on ${o.server} (tfjs ${backend}); ${N} students, ${o.rolloutSteps} steps per update`);

  prepareRunDir(o.outDir);
  writeFileAtomic(join(o.outDir, 'config.json'), JSON.stringify({ ...o.config, scenario: w.scenario, online: true, server: o.server, teacher: o.teacher, students: profilePath, plans }, null, 2) + '\n');
  let deployed: PolicyFile = team.toPolicyFile(scenario.file.name, o.producedBy);
  let runtimes = plans.map((p) => new AgentPolicyRuntime(deployed, p.agent));

  const rollout = new StudentRollout(plans, w.teacherSizes, w.stateSize, o.rolloutSteps, 1);
  const teacherValues = w.teacherSizes.reduce((sum, size) => sum + size, 0);
  let t = 0;
  let last = { tick: -1, episode: -1, ended: true };
  let steps = 0;
  let sinceYield = 0;
  // Open-ended: the server's world runs on until a signal, the server closing, or `updates`.
  const loop = new RunLoop({ label: 'teacher', runDir: o.outDir, totalSteps: 0, maxUpdates: o.updates || undefined, progress: false, hasWins: scenarioHasWins(scenario), log: o.log });
  loop.onStop(() => wake?.());
  try {
    while (loop.running && !closeReason) {
      const frame = queue.shift();
      if (!frame) {
        await waitForMessage();
        continue;
      }
      // A backlog is worked off in slices: between them the socket answers the server's heartbeat,
      // which would otherwise close a teacher that is slower than the world (a loaded machine).
      if (++sinceYield >= FRAMES_PER_SLICE) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const [, tick, episode, , state, teacherObs, studentObs, masks, actions, rewards, misses, status, , sampled] = frame;
      // The teacher's logits (and an 'agent_state' critic) need every agent's full view each step.
      if (teacherObs.length !== teacherValues) throw new Error(`server step frame carries ${teacherObs.length} teacher observation values, expected ${teacherValues} (every agent's full view: ${w.teacherSizes.join(' + ')})`);
      // A gap (frames dropped by the server under backpressure or by our backlog) or an episode
      // the server abandoned (a reset, a changed world) ends the episode in our rollout.
      if (t > 0 && breaksContinuity(last, tick, episode)) markEnd(rollout, t - 1, false);
      last = { tick, episode, ended: status !== 0 };
      if (t === o.rolloutSteps) {
        // The state (and full observations) that follow the last step are this frame's: the rollout is complete.
        rollout.bootstrapStates.set(state);
        splitTeacherObs(teacherObs, w.teacherSizes, rollout.bootstrapTeacherObs, 0);
        const stats = distillUpdate(ctx, rollout);
        loop.advance(o.rolloutSteps);
        deployed = team.toPolicyFile(scenario.file.name, o.producedBy);
        runtimes = plans.map((p) => new AgentPolicyRuntime(deployed, p.agent));
        const pushed = ws.readyState === WebSocket.OPEN;
        if (pushed) ws.send(packr.pack({ kind: 'weights', policy: packr.pack(deployed) }));
        writePolicyFile(join(o.outDir, STUDENT_POLICY), deployed);
        loop.metrics.write({ ...loop.metricLine(), 'losses/total': stats.total, 'losses/kl': stats.kl, 'losses/ce': stats.ce, 'losses/pg': stats.pg, 'losses/sr': stats.sr, 'losses/ra': stats.ra, 'charts/teacher_agreement': stats.agreement });
        const dropped = queue.takeDropped();
        o.log(`teacher: update ${loop.updates}: KL ${stats.kl.toFixed(3)}, agreement ${(100 * stats.agreement).toFixed(1)}%, weights ${pushed ? 'pushed' : 'not pushed (closed)'}${dropped > 0 ? `; ${dropped} frames dropped behind the world` : ''}`);
        o.onUpdate?.(loop.updates, stats, pushed);
        t = 0;
      }
      writeStep(rollout, t, plans, w, runtimes, { state, teacherObs, studentObs, masks, actions, rewards, misses, status }, o.studentsSample);
      checkSampling(rollout, t, sampled);
      t++;
      steps++;
    }
  } finally {
    loop.close();
    ws.close();
    teacher.dispose();
    team.dispose();
    adam.dispose();
  }
  return { updates: loop.updates, steps };
}

type StepParts = { state: Float32Array; teacherObs: Float32Array; studentObs: Float32Array; masks: Uint8Array; actions: Int16Array; rewards: Float32Array; misses: Uint8Array; status: number };

function writeStep(r: StudentRollout, t: number, plans: readonly StudentPlan[], w: WelcomeMessage, runtimes: AgentPolicyRuntime[], s: StepParts, sampled: boolean): void {
  const N = plans.length;
  r.greedy[t] = sampled ? 0 : 1;
  r.states.set(s.state, t * r.stateSize);
  splitTeacherObs(s.teacherObs, w.teacherSizes, r.teacherObs, t);
  let so = 0;
  let mo = 0;
  for (let a = 0; a < N; a++) {
    const p = plans[a];
    const obs = s.studentObs.subarray(so, so + p.observationSize);
    const mask = s.masks.subarray(mo, mo + p.actionCount);
    r.studentObs[a].set(obs, t * p.observationSize);
    r.masks[a].set(mask, t * p.actionCount);
    const action = s.actions[a];
    r.actions[a][t] = action;
    let allowedOther = false;
    for (let k = 1; k < p.actionCount; k++) if (mask[k] === 1) allowedOther = true;
    const alive = allowedOther || p.actionCount === 1;
    r.active[a][t] = alive && s.misses[a] === 0 ? 1 : 0;
    r.logp[a][t] = logProb(runtimes[a], obs, mask, action);
    r.rewards[t * N + a] = s.rewards[a];
    so += p.observationSize;
    mo += p.actionCount;
  }
  r.truncated[t] = 0;
  for (let a = 0; a < N; a++) {
    r.terminated[t * N + a] = 0;
    r.episodeEnd[t * N + a] = 0;
  }
  if (s.status !== 0) markEnd(r, t, s.status === 1);
}

/** The episode ended after step t; truncated episodes bootstrap from their last state. */
function markEnd(r: StudentRollout, t: number, terminated: boolean): void {
  const N = r.numAgents;
  for (let a = 0; a < N; a++) {
    r.terminated[t * N + a] = terminated ? 1 : 0;
    r.episodeEnd[t * N + a] = 1;
  }
  if (!terminated) {
    r.truncated[t] = 1;
    r.finalStates.set(r.states.subarray(t * r.stateSize, (t + 1) * r.stateSize), t * r.stateSize);
    for (let a = 0; a < N; a++) {
      const size = r.teacherObs[a].length / r.rows;
      r.finalTeacherObs[a].set(r.teacherObs[a].subarray(t * size, (t + 1) * size), t * size);
    }
  }
}

/** Agent-order concatenated teacher views of one frame into per-agent arrays at row `row`. */
function splitTeacherObs(teacherObs: Float32Array, sizes: readonly number[], out: Float32Array[], row: number): void {
  let offset = 0;
  sizes.forEach((size, a) => {
    out[a].set(teacherObs.subarray(offset, offset + size), row * size);
    offset += size;
  });
}

/** log pi(action | obs) under the mask, for the deployed students; 0 for an action the mask forbids. */
function logProb(runtime: AgentPolicyRuntime, obs: Float32Array, mask: Uint8Array, action: number): number {
  const z = runtime.logits(obs);
  return mask[action] === 1 ? logProbMasked(z, mask, 0, z.length, action) : 0;
}
