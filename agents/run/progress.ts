import cliProgress from 'cli-progress';

export type ProgressValues = {
  steps: number;
  sps: number;
  episodeReturn: number;
  winRate: number;
  /** More of the job's own, appended to the line (a parallel run's per-rank throughput and waits). */
  detail?: string;
};

export type ProgressOptions = {
  /** Names the job on every line: 'train', 'distill', '[2/7] full seed 1'. */
  label?: string;
  /** What `steps` counts: 'steps', 'episodes'. */
  unit?: string;
  /** Show the win rate; scenarios without a win notion show their return only. */
  hasWins?: boolean;
  tty?: boolean;
  plainEverySeconds?: number;
};

/**
 * Progress of a long job: a cli-progress bar on a TTY (steps, steps/s, return, win rate, ETA),
 * plain lines at most every `plainEverySeconds` otherwise (logs, CI, nohup).
 */
export class RunProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly total: number;
  private readonly startSteps: number;
  private readonly started = Date.now();
  private lastPlain = 0;
  private readonly plainEverySeconds: number;
  private readonly label: string;
  private readonly unit: string;
  private readonly hasWins: boolean;

  constructor(total: number, startSteps: number, options: ProgressOptions = {}) {
    this.total = total;
    this.startSteps = startSteps;
    this.plainEverySeconds = options.plainEverySeconds ?? 15;
    this.label = options.label ?? 'train';
    this.unit = options.unit ?? 'steps';
    this.hasWins = options.hasWins ?? true;
    const tty = options.tty ?? Boolean(process.stderr.isTTY);
    const win = this.hasWins ? ' | win {win}' : '';
    this.bar = tty
      ? new cliProgress.SingleBar(
          {
            format: `${this.label} |{bar}| {percentage}% | {value}/{total} ${this.unit} | {sps} ${this.unit}/s | return {ret}${win} | ETA {eta_formatted}{detail}`,
            hideCursor: true,
            etaBuffer: 20,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, startSteps, { sps: '-', ret: '-', win: '-', detail: '' });
  }

  update(v: ProgressValues): void {
    const payload = { sps: v.sps.toFixed(0), ret: Number.isFinite(v.episodeReturn) ? v.episodeReturn.toFixed(2) : '-', win: Number.isFinite(v.winRate) ? `${(100 * v.winRate).toFixed(0)}%` : '-', detail: v.detail ? ` | ${v.detail}` : '' };
    if (this.bar) {
      this.bar.update(v.steps, payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < this.plainEverySeconds * 1000 && v.steps < this.total) return;
    this.lastPlain = now;
    const elapsed = (now - this.started) / 1000;
    const done = v.steps - this.startSteps;
    // Past the budget (a caller that counts in whole rollouts of its own) nothing is left.
    const eta = done > 0 ? (Math.max(0, this.total - v.steps) * elapsed) / done : Number.NaN;
    const pct = Math.min(100, (100 * v.steps) / this.total).toFixed(1);
    const win = this.hasWins ? ` | win ${payload.win}` : '';
    process.stderr.write(`${this.label} ${v.steps}/${this.total} ${this.unit} (${pct}%) | ${payload.sps} ${this.unit}/s | return ${payload.ret}${win} | ETA ${formatSeconds(eta)}${payload.detail}\n`);
  }

  /** A message that must not be drawn over by the bar. */
  log(message: string): void {
    if (this.bar) process.stderr.write('\r\x1b[K');
    process.stderr.write(message + '\n');
  }

  stop(): void {
    this.bar?.stop();
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
