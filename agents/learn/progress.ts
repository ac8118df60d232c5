import cliProgress from 'cli-progress';

export type ProgressValues = { steps: number; sps: number; episodeReturn: number; winRate: number };

/**
 * Training progress: a cli-progress bar on a TTY (steps, steps/s, return, win rate, ETA), plain
 * lines at most every `plainEverySeconds` otherwise (logs, CI, nohup).
 */
export class TrainProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly total: number;
  private readonly startSteps: number;
  private readonly started = Date.now();
  private lastPlain = 0;
  private readonly plainEverySeconds: number;

  constructor(total: number, startSteps: number, options: { tty?: boolean; plainEverySeconds?: number } = {}) {
    this.total = total;
    this.startSteps = startSteps;
    this.plainEverySeconds = options.plainEverySeconds ?? 15;
    const tty = options.tty ?? Boolean(process.stderr.isTTY);
    this.bar = tty
      ? new cliProgress.SingleBar(
          {
            format: 'train |{bar}| {percentage}% | {value}/{total} steps | {sps} steps/s | return {ret} | win {win} | ETA {eta_formatted}',
            hideCursor: true,
            etaBuffer: 20,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, startSteps, { sps: '-', ret: '-', win: '-' });
  }

  update(v: ProgressValues): void {
    const payload = { sps: v.sps.toFixed(0), ret: Number.isFinite(v.episodeReturn) ? v.episodeReturn.toFixed(2) : '-', win: Number.isFinite(v.winRate) ? `${(100 * v.winRate).toFixed(0)}%` : '-' };
    if (this.bar) {
      this.bar.update(v.steps, payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < this.plainEverySeconds * 1000 && v.steps < this.total) return;
    this.lastPlain = now;
    const elapsed = (now - this.started) / 1000;
    const done = v.steps - this.startSteps;
    // The last rollout can overshoot the step budget (whole rollouts only): nothing is left then.
    const eta = done > 0 ? (Math.max(0, this.total - v.steps) * elapsed) / done : Number.NaN;
    const pct = ((100 * v.steps) / this.total).toFixed(1);
    process.stderr.write(`train ${v.steps}/${this.total} steps (${pct}%) | ${payload.sps} steps/s | return ${payload.ret} | win ${payload.win} | ETA ${formatSeconds(eta)}\n`);
  }

  /** A message that must not be drawn over by the bar. */
  log(message: string): void {
    if (this.bar) {
      process.stderr.write('\r\x1b[K');
      process.stderr.write(message + '\n');
    } else {
      process.stderr.write(message + '\n');
    }
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
