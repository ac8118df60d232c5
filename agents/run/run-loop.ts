import { join } from 'node:path';
import { MetricsLog, type MetricLine } from '../learn/metrics-log.ts';
import { writeCurve } from '../learn/plot.ts';
import { RunProgress } from './progress.ts';

export type RunLoopOptions = {
  /** Names the job on progress lines: 'train', 'distill'. */
  label: string;
  runDir: string;
  /** The step budget; 0: open-ended (until a signal or maxUpdates). */
  totalSteps: number;
  /** Steps one update adds, when fixed: the budget is then counted in whole updates. */
  stepsPerUpdate?: number;
  /** Where a resumed run stands (all 0 on a fresh start). */
  start?: { steps: number; updates: number; wallSeconds: number };
  /** Stop after this many updates in this process (tests, benchmarks, `teacher --updates`). */
  maxUpdates?: number;
  /** A progress bar (TTY) or plain lines on stderr. */
  progress: boolean;
  /** The scenario has a win notion (progress shows the win rate, else the return only). */
  hasWins: boolean;
  /** What a step counts on progress lines (default 'steps'). */
  unit?: string;
  log: (message: string) => void;
};

/**
 * The outer loop every long job shares: Ctrl-C and SIGTERM stop it at the next update boundary
 * (a second one quits at once), progress, cadence (`every`), the step / update counters, wall
 * time across resumes, and metrics.jsonl. The job keeps its own body, top to bottom:
 *
 *   while (await loop.next()) { collect; update; loop.advance(steps); log / save / eval on loop.every(n) }
 *   save();
 */
export class RunLoop {
  steps: number;
  updates: number;
  updatesThisRun = 0;
  stopRequested = false;
  readonly startSteps: number;
  /** The budget, rounded up to whole updates when their size is fixed: what the run will really do. */
  readonly plannedSteps: number;
  readonly metrics: MetricsLog;
  private readonly o: RunLoopOptions;
  private readonly wallBefore: number;
  private readonly started = performance.now();
  private readonly progressBar: RunProgress | null;
  private readonly stopListeners: (() => void)[] = [];
  private signals = 0;
  private readonly onSignal = (): void => {
    this.signals++;
    if (this.signals > 1) {
      this.say('second signal: quitting now, without a checkpoint');
      process.exit(130);
    }
    this.stopRequested = true;
    this.say(`${this.o.label}: stopping at the next boundary with a checkpoint (send the signal again to quit now)`);
    for (const listener of this.stopListeners) listener();
  };

  constructor(o: RunLoopOptions) {
    this.o = o;
    this.steps = o.start?.steps ?? 0;
    this.updates = o.start?.updates ?? 0;
    this.wallBefore = o.start?.wallSeconds ?? 0;
    this.startSteps = this.steps;
    const left = Math.max(0, o.totalSteps - this.steps);
    this.plannedSteps = o.stepsPerUpdate && o.totalSteps > 0 ? this.steps + Math.ceil(left / o.stepsPerUpdate) * o.stepsPerUpdate : o.totalSteps;
    this.metrics = new MetricsLog(join(o.runDir, 'metrics.jsonl'));
    // Lines past the checkpoint a run resumes from will be redone; a fresh start in the dir keeps none.
    this.metrics.truncateAfter(this.updates);
    this.progressBar = o.progress && this.plannedSteps > 0 ? new RunProgress(Math.max(this.plannedSteps, this.steps), this.steps, { label: o.label, unit: o.unit, hasWins: o.hasWins }) : null;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Whether another update is due: no signal, budget left, under maxUpdates. */
  get running(): boolean {
    const budgetLeft = this.o.totalSteps === 0 || this.steps < this.o.totalSteps;
    const underMax = this.o.maxUpdates === undefined || this.updatesThisRun < this.o.maxUpdates;
    return !this.stopRequested && budgetLeft && underMax;
  }

  /**
   * Before each update: yield to the event loop (the updates are synchronous, so signal handlers
   * run only here), then say whether to go on.
   */
  async next(): Promise<boolean> {
    if (!this.running) return false;
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.running;
  }

  /** Let signals land inside a long update (between epochs, say) without ending it. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Count one finished update of `steps` steps. */
  advance(steps: number): void {
    this.steps += steps;
    this.updates++;
    this.updatesThisRun++;
  }

  /** Every n-th update (n = 0: never). */
  every(n: number): boolean {
    return n > 0 && this.updates % n === 0;
  }

  /** The budget is spent. */
  get finished(): boolean {
    return this.o.totalSteps > 0 && this.steps >= this.o.totalSteps;
  }

  /** This update is the run's last in this process: the budget is spent or a signal came. */
  get last(): boolean {
    return this.finished || this.stopRequested;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Wall time of the whole run, over every resume. */
  get wallSeconds(): number {
    return this.wallBefore + this.elapsedSeconds;
  }

  /** Steps per second in this process. */
  get sps(): number {
    return (this.steps - this.startSteps) / this.elapsedSeconds;
  }

  /** The fields every metrics line starts with. */
  metricLine(): MetricLine {
    return { global_step: this.steps, update: this.updates, wall_seconds: this.wallSeconds };
  }

  /** A message that the progress bar does not draw over. */
  say(message: string): void {
    if (this.progressBar) this.progressBar.log(message);
    else this.o.log(message);
  }

  show(recent: { episodeReturn: number; winRate: number; detail?: string }): void {
    this.progressBar?.update({ steps: this.steps, sps: this.sps, ...recent });
  }

  /** Called once when a signal asks the loop to stop (a job waiting on the network wakes up). */
  onStop(listener: () => void): void {
    this.stopListeners.push(listener);
  }

  /** Draw curve.svg from metrics.jsonl; a failure is reported, not thrown. */
  async writeCurve(title: string): Promise<void> {
    try {
      await writeCurve(this.metrics.path, join(this.o.runDir, 'curve.svg'), title);
    } catch (error) {
      this.say(`curve.svg not written: ${(error as Error).message}`);
    }
  }

  /** Remove the signal handlers and the bar. */
  close(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.progressBar?.stop();
  }
}
