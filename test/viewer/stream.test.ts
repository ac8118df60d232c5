import { describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { REPLAY_FORMAT } from '../../shared/protocol.ts';
import { MetricsLog } from '../../viewer/src/charts/metrics-log.ts';
import { SnapshotBuffer } from '../../viewer/src/stream/snapshot-buffer.ts';
import { parseReplay, parseScene, parseSnapshot, WireError } from '../../viewer/src/stream/wire.ts';
import { syntheticScene, syntheticSnapshot } from './fixtures/synthetic.ts';

/** The viewer's non-DOM parts: frame checks, interpolation between the last two snapshots, JSONL tailing. */
const scene = syntheticScene(4, 3);
const snap = (tick: number) => parseSnapshot(syntheticSnapshot(scene, tick), scene);

describe('wire checks', () => {
  it('accepts what the codec produces and names the first bad field otherwise', () => {
    const decoded = parseScene(JSON.parse(JSON.stringify(scene)));
    expect(decoded.agents[0]!.teacherLabels).toEqual(scene.agents[0]!.teacherLabels);
    expect(() => parseScene({ ...scene, bounds: [0, 0, 0, 5] })).toThrow(/scene.bounds: empty box/);
    expect(() => parseScene({ ...scene, agents: [{ ...scene.agents[0], entity: 99 }] })).toThrow(/agents\[0\]\.entity: entity index 99 outside/);
    const good = syntheticSnapshot(scene, 3);
    expect(() => parseSnapshot({ ...good, health: new Float32Array(2) }, scene)).toThrow(WireError);
    expect(() => parseSnapshot({ ...good, attacks: [0, 500] }, scene)).toThrow(/attacks\[1\]: entity index 500/);
    expect(() => parseSnapshot({ ...good, tick: Number.NaN }, scene)).toThrow(/snapshot.tick: expected a finite number/);
  });

  it('reads a replay, plays the complete part of a truncated one, and refuses garbage', () => {
    const header = encode({ kind: 'replay', format: REPLAY_FORMAT, version: 1, scene });
    const bytes = new Uint8Array(Buffer.concat([header, ...[0, 1, 2, 3].map((t) => encode(syntheticSnapshot(scene, t)))]));
    const replay = parseReplay(bytes, 'r.kdr');
    expect(replay.snapshots.map((s) => s.tick)).toEqual([0, 1, 2, 3]);
    expect(replay.truncated).toBeNull();
    const cut = parseReplay(bytes.subarray(0, bytes.length - 10), 'cut.kdr');
    expect(cut.snapshots).toHaveLength(3);
    expect(cut.truncated).toMatch(/playing the 3 complete snapshots/);
    expect(() => parseReplay(new Uint8Array(0), 'empty.kdr')).toThrow(/empty.kdr: empty file/);
    expect(() => parseReplay(new Uint8Array(header), 'h.kdr')).toThrow(/no snapshots after the header/);
    expect(() => parseReplay(new Uint8Array(encode({ kind: 'snap' })), 'x.kdr')).toThrow(/first value is not a replay header/);
  });
});

describe('snapshot buffer', () => {
  it('interpolates between the last two snapshots on the server clock, then holds the newest', () => {
    const buffer = new SnapshotBuffer(scene.entities.length);
    const a = snap(10);
    const b = snap(11);
    buffer.push(a, 1000);
    expect(buffer.sample(1000)).toEqual(a.positions);
    buffer.push(b, 1100);
    // Snapshots are 100 ms apart on the server: 50 ms after b arrived we are halfway from a to b.
    const half = buffer.sample(1150);
    for (let i = 0; i < half.length; i++) expect(half[i]).toBeCloseTo((a.positions[i]! + b.positions[i]!) / 2, 4);
    expect(buffer.sample(1300)).toEqual(b.positions);
  });

  it('snaps across an episode boundary and after a jump', () => {
    const buffer = new SnapshotBuffer(scene.entities.length);
    const last = snap(59);
    const next = snap(60);
    expect(next.episode).toBe(last.episode + 1);
    buffer.push(last, 0);
    buffer.push(next, 100);
    expect(buffer.sample(110)).toEqual(next.positions);
    buffer.jumpTo(snap(5), 200);
    expect(buffer.alpha(200)).toBe(1);
    expect(buffer.sample(200)).toEqual(snap(5).positions);
  });
});

describe('metrics log', () => {
  it('tails JSONL in chunks, keeps gaps as null, and reports bad lines', () => {
    const log = new MetricsLog();
    expect(log.append('{"global_step":100,"update":1,"charts/episode_return":-3}\n{"global_step":200,"los')).toBe(1);
    expect(log.append('ses/policy":0.5,"charts/episode_return":null}\nnot json\n{"x":1}\n')).toBe(1);
    expect(log.steps).toEqual([100, 200]);
    expect(log.columns.get('charts/episode_return')).toEqual([-3, null]);
    expect(log.columns.get('losses/policy')).toEqual([null, 0.5]);
    expect(log.columns.has('update')).toBe(false);
    expect(log.rejected).toEqual(['line 3: not JSON', 'line 4: no numeric global_step or step']);
    expect(log.keys()).toEqual(['charts/episode_return', 'losses/policy']);
  });
});
