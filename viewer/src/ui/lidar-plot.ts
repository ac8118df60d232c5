import type { LidarReading, SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { byId, fmt } from './hud.ts';

/**
 * The inspected robot's lidar as a polar plot beside its student view, in the robot's own frame:
 * forward is up, angles counter-clockwise, the outer ring is the lidar's range. Hidden for agents
 * whose scan the snapshot does not carry (no lidar, or not a robot world).
 */
export class LidarPlot {
  private readonly root = byId('inspect-lidar');
  private readonly canvas = byId<HTMLCanvasElement>('lidar-plot');
  private readonly note = byId('lidar-note');
  private shownScan: { rays: number; nearest: number } | null = null;

  /** What the plot shows, for tests: the ray count and the nearest distance, or null when hidden. */
  get shown(): { rays: number; nearest: number } | null {
    return this.shownScan;
  }

  update(scene: SceneMessage, snap: Snapshot, entity: number): void {
    const agent = entity >= 0 ? (scene.entities[entity]?.agent ?? -1) : -1;
    const scan = agent >= 0 ? snap.extras.lidar.find((l) => l.agent === agent) : undefined;
    if (!scan) {
      this.root.hidden = true;
      this.shownScan = null;
      return;
    }
    this.root.hidden = false;
    const nearest = this.draw(scan);
    const count = scan.readings.length;
    const at = Math.round((360 * nearest.index) / count);
    this.note.textContent = `${count} rays · range ${fmt(scan.range)} · nearest ${fmt(nearest.distance)} at ${at}°`;
    this.shownScan = { rays: count, nearest: nearest.distance };
  }

  /** Draws the scan; returns its nearest reading and that ray's index. */
  private draw(scan: LidarReading): { distance: number; index: number } {
    const ctx = this.canvas.getContext('2d')!;
    const size = this.canvas.width;
    const c = size / 2;
    const outer = c - 8;
    ctx.clearRect(0, 0, size, size);
    ctx.strokeStyle = '#334155';
    ctx.lineWidth = 1;
    for (const f of [0.5, 1]) {
      ctx.beginPath();
      ctx.arc(c, c, outer * f, 0, 2 * Math.PI);
      ctx.stroke();
    }
    // Forward tick.
    ctx.strokeStyle = '#f8fafc';
    ctx.beginPath();
    ctx.moveTo(c, c - outer - 6);
    ctx.lineTo(c, c - outer + 6);
    ctx.stroke();
    const count = scan.readings.length;
    const point = (j: number): [number, number] => {
      const angle = (2 * Math.PI * j) / count;
      const r = (outer * Math.min(scan.readings[j]!, scan.range)) / scan.range;
      // Counter-clockwise from forward (up) on a screen whose y grows downwards.
      return [c - r * Math.sin(angle), c - r * Math.cos(angle)];
    };
    ctx.beginPath();
    for (let j = 0; j < count; j++) {
      const [x, y] = point(j);
      if (j === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.closePath();
    ctx.fillStyle = 'rgba(34, 197, 94, 0.25)';
    ctx.fill();
    ctx.strokeStyle = '#22c55e';
    ctx.stroke();
    let nearest = { distance: Infinity, index: 0 };
    for (let j = 0; j < count; j++) {
      const d = scan.readings[j]!;
      if (d < nearest.distance) nearest = { distance: d, index: j };
      if (d >= scan.range * 0.999) continue;
      const [x, y] = point(j);
      ctx.fillStyle = '#f43f5e';
      ctx.fillRect(x - 2, y - 2, 4, 4);
    }
    return nearest;
  }
}
