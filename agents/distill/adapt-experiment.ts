import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { resolveScenario, scenarioHasWins, type LoadedScenario } from '../../server/scenarios/registry.ts';
import { applyWorldChange, describeWorldChange, type WorldChange } from '../../server/scenarios/world-change.ts';
import { AgentLauncher } from '../../server/net/agent-launcher.ts';
import { startServer } from '../../server/net/start-server.ts';
import { returnRetention, winRateRetention } from '../eval/metrics.ts';
import { recoveredAt, writeAdaptPartial, writeAdaptReport, type AdaptPartial, type AdaptResult, type ArmResult, type Score, type TimelinePoint } from './adapt-report.ts';
import { EpisodeTally, stallBoundMs } from './adapt-tally.ts';
import { CliChildren } from './adapt-children.ts';

export type AdaptOptions = {
  scenario: string;
  change: WorldChange;
  /** Folder with the teacher's checkpoint.ckpt and config.json and the students' student.policy. */
  models: string;
  /** The students' profile (a file, or 'default': the scenario's), as `kdmarl teacher --distill` takes it. */
  profile: string;
  /** Online distillation per arm, wall-clock minutes. */
  minutes: number;
  /** Env steps of MAPPO fine-tuning on the changed world before the second arm. */
  finetuneSteps: number;
  /** Episodes of the networked students for each of the before and after scores. */
  episodes: number;
  /** Greedy episodes of each teacher evaluation. */
  teacherEpisodes: number;
  windowSeconds: number;
  deadlineMs: number;
  /** Also run the control arm: the teacher as it is, distilling online on the world left unchanged. */
  control: boolean;
  outDir: string;
  command: string;
  log: (message: string) => void;
  /**
   * Aborting it (reason: the signal's name) stops the experiment where it is: every child it
   * started and every agent process exit, the server closes, adapt-partial.json says what was measured.
   */
  signal?: AbortSignal;
  /**
   * Aborting it (a second signal while stopping) kills every child and agent process with SIGKILL
   * and writes adapt-partial.json at once; the caller exits without waiting for anything.
   */
  hurry?: AbortSignal;
};

/** What a hurried stop runs before adapt-partial.json is written: kills, last tallies. */
type HurryHooks = (() => void)[];

/** The machine's 1-minute load average over its cores, measured now. */
function loadNote(when: string): string {
  return `load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores ${when}`;
}

/**
 * The experiment, and adapt-partial.json (what it had measured, and why it stopped) when any part
 * of it fails; the error goes on to the caller.
 */
export async function runAdaptExperiment(o: AdaptOptions): Promise<AdaptResult> {
  mkdirSync(o.outDir, { recursive: true });
  const base = resolveScenario(o.scenario);
  const partial: AdaptPartial = {
    error: '',
    measured: { scenario: base.file.name, change: describeWorldChange(o.change), measure: scenarioHasWins(base) ? 'win rate' : 'return above random', command: o.command },
    stretch: null,
    armInProgress: null,
  };
  const stoppedBy = (): string => `stopped by ${String(o.signal?.reason)}`;
  const hurryHooks: HurryHooks = [];
  o.hurry?.addEventListener(
    'abort',
    () => {
      for (const hook of hurryHooks) hook();
      partial.error = stoppedBy();
      o.log(`second ${String(o.hurry?.reason)}: killed every process it started; what was measured is in ${writeAdaptPartial(o.outDir, partial)}`);
    },
    { once: true },
  );
  try {
    return await measure(o, base, partial, hurryHooks);
  } catch (error) {
    // A signal may also reach the children first (Ctrl-C goes to the whole process group).
    partial.error = o.signal?.aborted ? stoppedBy() : (error as Error).message;
    const path = writeAdaptPartial(o.outDir, partial);
    if (o.signal?.aborted) o.log(`stopped by ${String(o.signal.reason)}; every process it started has exited; what was measured is in ${path}`);
    else o.log(`stopped early; what was measured is in ${path} (agent exits and server warnings: ${join(o.outDir, 'server.log')})`);
    throw error;
  }
}

/** `Promise.race` of a wait against the experiment being stopped. */
type Until = <T>(work: Promise<T>) => Promise<T>;

async function measure(o: AdaptOptions, base: LoadedScenario, partial: AdaptPartial, hurryHooks: HurryHooks): Promise<AdaptResult> {
  // Every child still running when the experiment stops is stopped with it, and waited for.
  const children = new CliChildren(o.outDir, o.log);
  hurryHooks.push(() => children.killAll());
  // Each wait of the experiment ends early when it is stopped: the `finally`s then stop everything.
  const stopped = new Promise<never>((_, reject) => {
    const abort = () => reject(new Error(`stopped by ${String(o.signal?.reason)}`));
    if (o.signal?.aborted) abort();
    else o.signal?.addEventListener('abort', abort, { once: true });
  });
  stopped.catch(() => {});
  const until: Until = (work) => (o.signal ? Promise.race([work, stopped]) : work);
  try {
    return await measureWith(o, base, partial, children, until, hurryHooks);
  } finally {
    await children.stopAll();
  }
}

async function measureWith(o: AdaptOptions, base: LoadedScenario, partial: AdaptPartial, children: CliChildren, until: Until, hurryHooks: HurryHooks): Promise<AdaptResult> {
  const measured = partial.measured;
  const wins = scenarioHasWins(base);
  const changedPath = join(o.outDir, 'changed-scenario.json');
  writeFileAtomic(changedPath, JSON.stringify(applyWorldChange(base, o.change).file, null, 2) + '\n');
  const changed = resolveScenario(changedPath);
  const cli = (args: string[], logName: string, env: Record<string, string> = {}) => children.start(args, logName, env);
  const evalScore = async (scenario: string, policy: string, label: string): Promise<Score> => {
    const out = await until(cli(['eval', '--scenario', scenario, '--policy', policy, '--episodes', String(o.teacherEpisodes), '--json'], `eval-${label}.log`).done);
    const r = JSON.parse(out) as { episodes: number; winRate: number; meanReturn: number };
    return { episodes: r.episodes, value: wins ? r.winRate : r.meanReturn };
  };
  const teacherBefore = (measured.teacherBefore = await evalScore(o.scenario, o.models, 'teacher-before'));
  const teacherAfter = (measured.teacherAfter = await evalScore(changedPath, o.models, 'teacher-after'));
  const randomBefore = (measured.randomBefore = wins ? null : await evalScore(o.scenario, 'random', 'random-before'));
  const randomAfter = (measured.randomAfter = wins ? null : await evalScore(changedPath, 'random', 'random-after'));
  const retention = (students: Score, teacher: Score, random: Score | null): number => (random ? returnRetention(students.value, teacher.value, random.value) : winRateRetention(students.value, teacher.value));
  o.log(`teacher: ${teacherBefore.value.toFixed(3)} before, ${teacherAfter.value.toFixed(3)} after the change`);

  const loads = [loadNote('at the start')];
  const logger = pino({ name: 'kdmarl-adapt', level: 'warn' }, pino.destination({ dest: join(o.outDir, 'server.log'), mkdir: true }));
  const { server } = await startServer({ scenario: o.scenario, mode: 'lockstep', deadlineMs: o.deadlineMs, fallback: 'stop', logger, host: '127.0.0.1', port: 0 });
  const launcher = new AgentLauncher({ url: server.url, log: logger, restart: true });
  const students = join(o.models, 'student.policy');
  const stallMs = Math.max(stallBoundMs(base.file.maxSteps, o.deadlineMs), stallBoundMs(changed.file.maxSteps, o.deadlineMs));
  o.log(`an episode must end every ${(stallMs / 1000).toFixed(0)} s while the agents run (3 x ${base.file.maxSteps} steps x ${o.deadlineMs} ms + start-up), else the experiment stops`);
  const tally = new EpisodeTally(server, wins, { ms: stallMs });
  hurryHooks.push(() => {
    for (const pid of launcher.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited already.
      }
    }
    if (partial.stretch) partial.stretch.score = tally.peek();
  });
  launcher.on('spawned', (slot, pid) => o.log(`agent process of slot ${slot}: pid ${pid}`));
  const startAgents = (): void => {
    server.tokens.forEach((token, slot) => launcher.start({ slot, token, model: students, caps: { deadlineMs: o.deadlineMs } }));
    tally.watch();
  };
  const stretch = async (what: string): Promise<Score> => {
    partial.stretch = { waitingFor: `${o.episodes} episodes ${what}`, score: tally.peek() };
    const score = await until(tally.next(o.episodes, what));
    partial.stretch = null;
    return score;
  };
  try {
    startAgents();
    const studentsBefore = (measured.studentsBefore = await stretch('of the students before the change'));
    o.log(`students before the change: ${studentsBefore.value.toFixed(3)} over ${studentsBefore.episodes} episodes`);
    server.changeWorld(changed);
    o.log(`world changed: ${describeWorldChange(o.change)}`);
    const studentsAfter = (measured.studentsAfter = await stretch('of the students after the change'));
    o.log(`students after the change: ${studentsAfter.value.toFixed(3)} over ${studentsAfter.episodes} episodes`);
    const retentionBefore = (measured.retentionBefore = retention(studentsBefore, teacherBefore, randomBefore));
    const retentionAfter = (measured.retentionAfter = retention(studentsAfter, teacherAfter, randomAfter));
    const target = (measured.target = 0.9 * retentionBefore);
    const arms: ArmResult[] = (measured.arms = []);

    /** `random`: the random agents' score on the arm's world (retention by return only). */
    const arm = async (name: ArmResult['arm'], teacher: string, teacherScore: () => Promise<Score>, finetune: (() => Promise<string>) | null, random: Score | null): Promise<ArmResult> => {
      const started = performance.now();
      const minutes = (): number => (performance.now() - started) / 60_000;
      const windows: { minutes: number; score: Score }[] = [];
      partial.armInProgress = { arm: name, windows };
      tally.restart();
      const timer = setInterval(() => windows.push({ minutes: minutes(), score: tally.take() }), o.windowSeconds * 1000);
      try {
        if (finetune) await until(tally.guard(`the teacher's fine-tuning (arm ${name})`, finetune()));
        const finetuneMinutes = minutes();
        const online = cli(['teacher', '--server', server.url, '--teacher', teacher, '--distill', o.profile, '--students', students, '--out', join(o.outDir, `online-${name}`)], `online-${name}.log`, { KDMARL_CONTROL_TOKEN: server.controlToken });
        const stopAt = setTimeout(online.stop, o.minutes * 60_000);
        await until(tally.guard(`online distillation (arm ${name})`, online.done)).finally(() => clearTimeout(stopAt));
        clearInterval(timer);
        const onlineMinutes = minutes() - finetuneMinutes;
        // The stretch since the last full window, when at least half a window long.
        const lastEnd = windows.at(-1)?.minutes ?? 0;
        if ((minutes() - lastEnd) * 60 >= o.windowSeconds / 2) windows.push({ minutes: minutes(), score: tally.take() });
        if (onlineMinutes < 0.98 * o.minutes) o.log(`arm ${name}: the online teacher stopped after ${onlineMinutes.toFixed(1)} of ${o.minutes} minutes (see online-${name}.log)`);
        const score = await until(tally.guard(`the evaluation of the ${name} teacher`, teacherScore()));
        const timeline: TimelinePoint[] = windows.filter((w) => w.score.episodes > 0).map((w) => ({ minutes: w.minutes, episodes: w.score.episodes, value: w.score.value, retention: retention(w.score, score, random) }));
        o.log(`arm ${name}: ${timeline.map((p) => `${p.minutes.toFixed(1)}m ${(100 * p.retention).toFixed(0)}%`).join(', ')}`);
        partial.armInProgress = null;
        return { arm: name, teacher: score, finetuneMinutes, onlineMinutes, timeline, recoveredAtMinutes: name === 'control' ? null : recoveredAt(timeline, target) };
      } finally {
        clearInterval(timer);
      }
    };
    loads.push(loadNote('as the first arm starts'));
    arms.push(await arm('as-is', o.models, async () => teacherAfter, null, randomAfter));
    // Every later arm starts from the shipped students again: fresh agent processes.
    const freshAgents = async (): Promise<void> => {
      tally.unwatch();
      await until(launcher.stopAll());
      startAgents();
    };
    await freshAgents();
    loads.push(loadNote('as the second arm starts'));
    const finetuneDir = join(o.outDir, 'finetuned-teacher');
    arms.push(
      await arm('fine-tuned', finetuneDir, () => evalScore(changedPath, finetuneDir, 'teacher-finetuned'), () => {
        const config = join(o.models, 'config.json');
        return cli(['train', '--scenario', changedPath, '--init-from', o.models, '--config', config, '--steps', String(o.finetuneSteps), '--workers', '0', '--seed', '1', '--out', finetuneDir], 'finetune.log').done;
      }, randomAfter),
    );
    if (o.control) {
      // The same timeline with nothing changed: the world swapped for the unchanged one (the
      // same swap as the change), fresh students, the teacher as it is. Whatever its curve does
      // is drift and noise, the yardstick for the other arms' recoveries.
      server.changeWorld(base);
      o.log('control arm: world swapped back to the unchanged one');
      await freshAgents();
      loads.push(loadNote('as the control arm starts'));
      arms.push(await arm('control', o.models, async () => teacherBefore, null, randomBefore));
    }
    loads.push(loadNote('at the end'));
    const result: AdaptResult = {
      scenario: base.file.name,
      change: describeWorldChange(o.change),
      measure: wins ? 'win rate' : 'return above random',
      command: o.command,
      load: loads.join('; '),
      decisions: { due: server.status().due, missed: server.status().misses },
      teacherBefore,
      teacherAfter,
      randomBefore,
      randomAfter,
      studentsBefore,
      studentsAfter,
      retentionBefore,
      retentionAfter,
      target,
      arms,
    };
    await writeAdaptReport(o.outDir, result);
    return result;
  } finally {
    await children.stopAll();
    tally.unwatch();
    if (partial.stretch) partial.stretch.score = tally.peek();
    measured.load = [...loads, loadNote('when it stopped')].join('; ');
    measured.decisions = { due: server.status().due, missed: server.status().misses };
    await launcher.stopAll();
    await server.close();
  }
}
