const WINDOW = 600;

/**
 * Per-frame cost of update + render on the main thread (CPU ms) and the spacing between
 * animation frames, over the last WINDOW frames. The GPU side of a frame is in neither number:
 * the interval is what a person sees, the CPU time is what the viewer's own code costs.
 */
export class FrameStats {
  private readonly cpu = new Float64Array(WINDOW);
  private readonly interval = new Float64Array(WINDOW);
  private count = 0;
  private lastFrameAt = -1;
  total = 0;

  record(started: number, ended: number, frameTime: number): void {
    const slot = this.count % WINDOW;
    this.cpu[slot] = ended - started;
    this.interval[slot] = this.lastFrameAt < 0 ? 0 : frameTime - this.lastFrameAt;
    this.lastFrameAt = frameTime;
    this.count++;
    this.total++;
  }

  reset(): void {
    this.count = 0;
    this.lastFrameAt = -1;
  }

  /** Mean CPU ms over the most recent `frames` frames (the HUD's figure). */
  recentCpuMs(frames = 60): number {
    const n = Math.min(this.count, WINDOW, frames);
    if (n === 0) return 0;
    let sum = 0;
    for (let k = 1; k <= n; k++) sum += this.cpu[(this.count - k) % WINDOW]!;
    return sum / n;
  }

  summary(): { frames: number; cpuMeanMs: number; cpuP95Ms: number; cpuMaxMs: number; intervalMeanMs: number; intervalP95Ms: number } {
    const n = Math.min(this.count, WINDOW);
    const cpu = Array.from(this.cpu.subarray(0, n)).sort((a, b) => a - b);
    // The first interval after a reset has no previous frame.
    const intervals = Array.from(this.interval.subarray(0, n)).filter((v) => v > 0).sort((a, b) => a - b);
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
    const p95 = (xs: number[]): number => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]! : 0);
    return {
      frames: n,
      cpuMeanMs: mean(cpu),
      cpuP95Ms: p95(cpu),
      cpuMaxMs: cpu.length ? cpu[cpu.length - 1]! : 0,
      intervalMeanMs: mean(intervals),
      intervalP95Ms: p95(intervals),
    };
  }
}
