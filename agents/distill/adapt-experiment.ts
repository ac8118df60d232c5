import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { fromRoot } from '../../shared/paths.ts';
import { resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { applyWorldChange, describeWorldChange, type WorldChange } from '../../server/scenarios/world-change.ts';
import { AgentLauncher } from '../../server/net/agent-launcher.ts';
import { startServer } from '../../server/net/start-server.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { mean, returnRetention, winRateRetention } from '../eval/metrics.ts';
import { recoveredAt, writeAdaptReport, type AdaptResult, type ArmResult, type Score, type TimelinePoint } from './adapt-report.ts';

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
  outDir: string;
  command: string;
  log: (message: string) => void;
};

/** Episode ends of the networked world, scored in stretches: wins per episode, or the mean return. */
export class EpisodeTally {
  private ends: EpisodeEnd[] = [];
  private waiter: { count: number; resolve: () => void } | null = null;
  private readonly wins: boolean;

  constructor(server: NetServer, wins: boolean) {
    this.wins = wins;
    server.on('episode', (end) => {
      this.ends.push(end);
      if (this.waiter && this.ends.length >= this.waiter.count) this.waiter.resolve();
    });
  }

  /** Forget what ended so far (a new stretch starts). */
  restart(): void {
    this.ends = [];
  }

  /** The score of the stretch so far, and start a new one. */
  take(): Score {
    const ends = this.ends;
    this.ends = [];
    const value = mean(ends.map((e) => (this.wins ? Number(e.won) : e.return)));
    return { episodes: ends.length, value };
  }

  /** The score of the next `count` episodes. */
  async next(count: number): Promise<Score> {
    this.restart();
    await new Promise<void>((resolve) => (this.waiter = { count, resolve }));
    this.waiter = null;
    return this.take();
  }
}

/** `node dist/cli.js <args>`; resolves with its stdout, rejects with its last stderr line. `stop` ends it with SIGTERM. */
function runCli(args: string[], logPath: string, log: (m: string) => void, env: Record<string, string> = {}): { done: Promise<string>; stop: () => void } {
  const child = spawn(process.execPath, [fromRoot('dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
  });
  log(`run: kdmarl ${args.join(' ')}`);
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      writeFileAtomic(logPath, stderr);
      if (code === 0 || signal === 'SIGTERM') resolve(stdout);
      else reject(new Error(`kdmarl ${args[0]} exited with ${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
  return { done, stop: () => child.kill('SIGTERM') };
}

/** The machine's 1-minute load average over its cores, measured now. */
function loadNote(when: string): string {
  return `load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores ${when}`;
}

export async function runAdaptExperiment(o: AdaptOptions): Promise<AdaptResult> {
  mkdirSync(o.outDir, { recursive: true });
  const base = resolveScenario(o.scenario);
  const wins = scenarioHasWins(base);
  const changedPath = join(o.outDir, 'changed-scenario.json');
  writeFileAtomic(changedPath, JSON.stringify(applyWorldChange(base, o.change).file, null, 2) + '\n');
  const changed = resolveScenario(changedPath);
  const evalScore = async (scenario: string, policy: string, label: string): Promise<Score> => {
    const out = await runCli(['eval', '--scenario', scenario, '--policy', policy, '--episodes', String(o.teacherEpisodes), '--json'], join(o.outDir, `eval-${label}.log`), o.log).done;
    const r = JSON.parse(out) as { episodes: number; winRate: number; meanReturn: number };
    return { episodes: r.episodes, value: wins ? r.winRate : r.meanReturn };
  };
  const teacherBefore = await evalScore(o.scenario, o.models, 'teacher-before');
  const teacherAfter = await evalScore(changedPath, o.models, 'teacher-after');
  const randomBefore = wins ? null : await evalScore(o.scenario, 'random', 'random-before');
  const randomAfter = wins ? null : await evalScore(changedPath, 'random', 'random-after');
  const retention = (students: Score, teacher: Score, random: Score | null): number => (random ? returnRetention(students.value, teacher.value, random.value) : winRateRetention(students.value, teacher.value));
  o.log(`teacher: ${teacherBefore.value.toFixed(3)} before, ${teacherAfter.value.toFixed(3)} after the change`);

  const loads = [loadNote('at the start')];
  const logger = pino({ name: 'kdmarl-adapt', level: 'warn' }, pino.destination({ dest: join(o.outDir, 'server.log'), mkdir: true }));
  const { server } = await startServer({ scenario: o.scenario, mode: 'lockstep', deadlineMs: o.deadlineMs, fallback: 'stop', logger, host: '127.0.0.1', port: 0 });
  const launcher = new AgentLauncher({ url: server.url, log: logger, restart: true });
  const students = join(o.models, 'student.policy');
  const startAgents = (): void => server.tokens.forEach((token, slot) => launcher.start({ slot, token, model: students, caps: { deadlineMs: o.deadlineMs } }));
  const tally = new EpisodeTally(server, wins);
  try {
    startAgents();
    const studentsBefore = await tally.next(o.episodes);
    o.log(`students before the change: ${studentsBefore.value.toFixed(3)} over ${studentsBefore.episodes} episodes`);
    server.changeWorld(changed);
    o.log(`world changed: ${describeWorldChange(o.change)}`);
    const studentsAfter = await tally.next(o.episodes);
    o.log(`students after the change: ${studentsAfter.value.toFixed(3)} over ${studentsAfter.episodes} episodes`);
    const retentionBefore = retention(studentsBefore, teacherBefore, randomBefore);
    const target = 0.9 * retentionBefore;

    const arm = async (name: ArmResult['arm'], teacher: string, teacherScore: () => Promise<Score>, finetune: (() => Promise<void>) | null): Promise<ArmResult> => {
      const started = performance.now();
      const minutes = (): number => (performance.now() - started) / 60_000;
      const windows: { minutes: number; score: Score }[] = [];
      tally.restart();
      const timer = setInterval(() => windows.push({ minutes: minutes(), score: tally.take() }), o.windowSeconds * 1000);
      try {
        if (finetune) await finetune();
        const finetuneMinutes = minutes();
        const online = runCli(['teacher', '--server', server.url, '--teacher', teacher, '--distill', o.profile, '--students', students, '--out', join(o.outDir, `online-${name}`)], join(o.outDir, `online-${name}.log`), o.log, { KDMARL_CONTROL_TOKEN: server.controlToken });
        const stopAt = setTimeout(online.stop, o.minutes * 60_000);
        await online.done.finally(() => clearTimeout(stopAt));
        clearInterval(timer);
        const onlineMinutes = minutes() - finetuneMinutes;
        // The stretch since the last full window, when at least half a window long.
        const lastEnd = windows.at(-1)?.minutes ?? 0;
        if ((minutes() - lastEnd) * 60 >= o.windowSeconds / 2) windows.push({ minutes: minutes(), score: tally.take() });
        if (onlineMinutes < 0.98 * o.minutes) o.log(`arm ${name}: the online teacher stopped after ${onlineMinutes.toFixed(1)} of ${o.minutes} minutes (see online-${name}.log)`);
        const score = await teacherScore();
        const timeline: TimelinePoint[] = windows.filter((w) => w.score.episodes > 0).map((w) => ({ minutes: w.minutes, episodes: w.score.episodes, value: w.score.value, retention: retention(w.score, score, randomAfter) }));
        o.log(`arm ${name}: ${timeline.map((p) => `${p.minutes.toFixed(1)}m ${(100 * p.retention).toFixed(0)}%`).join(', ')}`);
        return { arm: name, teacher: score, finetuneMinutes, onlineMinutes, timeline, recoveredAtMinutes: recoveredAt(timeline, target) };
      } finally {
        clearInterval(timer);
      }
    };
    loads.push(loadNote('as the first arm starts'));
    const asIs = await arm('as-is', o.models, async () => teacherAfter, null);
    // The second arm starts from the shipped students again: fresh agent processes.
    await launcher.stopAll();
    startAgents();
    loads.push(loadNote('as the second arm starts'));
    const finetuneDir = join(o.outDir, 'finetuned-teacher');
    const finetuned = await arm('fine-tuned', finetuneDir, () => evalScore(changedPath, finetuneDir, 'teacher-finetuned'), async () => {
      const config = join(o.models, 'config.json');
      await runCli(['train', '--scenario', changedPath, '--init-from', o.models, '--config', config, '--steps', String(o.finetuneSteps), '--workers', '0', '--seed', '1', '--out', finetuneDir], join(o.outDir, 'finetune.log'), o.log).done;
    });
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
      retentionAfter: retention(studentsAfter, teacherAfter, randomAfter),
      target,
      arms: [asIs, finetuned],
    };
    await writeAdaptReport(o.outDir, result);
    return result;
  } finally {
    await launcher.stopAll();
    await server.close();
  }
}
