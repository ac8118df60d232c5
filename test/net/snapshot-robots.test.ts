import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.ts';
import { ROLES, type SnapshotMessage } from '../../shared/protocol.ts';
import { SnapshotBuilder, type AgentStatusArrays } from '../../server/net/snapshot-builder.ts';
import { wantedLidar, type LidarSpectator } from '../../server/net/snapshot-stream.ts';
import { INSPECT_LAPSE_MS } from '../../server/net/spectator-role.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import { LIDAR_RANGE, LIDAR_RAYS, RobotWorld, robotSnapshotWorld } from '../viewer/fixtures/robot-world.ts';
import { spectator, startServer, stopStarted } from './helpers/net-helpers.ts';

/**
 * Snapshots carry rotations and lidar scans only where the simulation has them: a hand-built robot
 * world gets both (lidar only for the agents asked for), MPE keeps its old snapshot bytes.
 */
function statusArrays(n: number): AgentStatusArrays {
  return { connected: new Uint8Array(n), latencyMs: new Float32Array(n), misses: new Int32Array(n), invalid: new Int32Array(n), flops: new Float64Array(n) };
}

function roundTrip(message: SnapshotMessage): Record<string, unknown> {
  return decode(encode(message)) as Record<string, unknown>;
}

afterEach(stopStarted);

describe('robot snapshots', () => {
  it('carry every entity rotation, and lidar only for the wanted agents that have one', () => {
    const sim = new RobotWorld();
    const world = robotSnapshotWorld(sim);
    const builder = new SnapshotBuilder(world, statusArrays(world.agentCount));
    world.tickOnce();
    world.tickOnce();

    const none = roundTrip(builder.build(0, 10, false, null, null));
    expect(none['rotations']).toBeInstanceOf(Float32Array);
    expect([...(none['rotations'] as Float32Array)]).toEqual([...sim.rotations]);
    expect(sim.rotations.some((r) => r !== 0)).toBe(true);
    expect('lidar' in none).toBe(false);

    const inspected = roundTrip(builder.build(0, 10, false, null, Uint8Array.from([0, 1, 0, 0])));
    const one = inspected['lidar'] as { agent: number; range: number; readings: Float32Array }[];
    expect(one.map((l) => l.agent)).toEqual([1]);
    expect(one[0]!.range).toBe(sim.lidar[1]!.range);
    expect(one[0]!.readings).toBeInstanceOf(Float32Array);
    expect([...one[0]!.readings]).toEqual([...sim.lidar[1]!.readings]);
    expect(one[0]!.readings.length).toBe(LIDAR_RAYS);
    // Walls, obstacles and other robots are within range of some rays; others see nothing.
    expect(one[0]!.readings.some((d) => d < Math.fround(LIDAR_RANGE))).toBe(true);
    expect(one[0]!.readings.some((d) => d === Math.fround(LIDAR_RANGE))).toBe(true);

    // Robot 3 has no lidar: asking for everyone gives the three that do.
    const all = roundTrip(builder.build(0, 10, false, null, new Uint8Array(4).fill(1)));
    expect((all['lidar'] as { agent: number }[]).map((l) => l.agent)).toEqual([0, 1, 2]);

    // Asked for nobody again: the key is gone, not left stale.
    const after = roundTrip(builder.build(0, 10, false, null, null));
    expect('lidar' in after).toBe(false);
  });

  it('leave MPE snapshots without rotation or lidar keys', () => {
    const world = new WorldSession({ scenario: 'spread', seed: 3 });
    const builder = new SnapshotBuilder(world, statusArrays(world.agentCount));
    const message = builder.build(0, 10, false, null, new Uint8Array(world.agentCount).fill(1));
    expect('rotations' in message).toBe(false);
    expect('lidar' in message).toBe(false);
    const bytes = encode(message);
    expect(bytes.includes(Buffer.from('rotations'))).toBe(false);
    expect(bytes.includes(Buffer.from('lidar'))).toBe(false);
  });
});

describe('whose lidar a snapshot carries', () => {
  const now = 100_000;
  const viewer = (extra: Partial<LidarSpectator>): LidarSpectator => ({ role: ROLES.spectator, closed: false, lidarAll: false, inspecting: -1, inspectedAt: 0, ...extra });

  it('the inspected agents, every agent with the toggle or a recording, nobody otherwise', () => {
    const out = new Uint8Array(4);
    expect(wantedLidar([viewer({})], now, false, out)).toBeNull();
    expect([...wantedLidar([viewer({ inspecting: 2, inspectedAt: now - 10 })], now, false, out)!]).toEqual([0, 0, 1, 0]);
    expect([...wantedLidar([viewer({ inspecting: 0, inspectedAt: now }), viewer({ inspecting: 3, inspectedAt: now })], now, false, out)!]).toEqual([1, 0, 0, 1]);
    expect([...wantedLidar([viewer({}), viewer({ lidarAll: true })], now, false, out)!]).toEqual([1, 1, 1, 1]);
    expect([...wantedLidar([], now, true, out)!]).toEqual([1, 1, 1, 1]);
  });

  it('ignores lapsed inspections, closed sockets, other roles and agents out of range', () => {
    const out = new Uint8Array(4);
    expect(wantedLidar([viewer({ inspecting: 1, inspectedAt: now - INSPECT_LAPSE_MS })], now, false, out)).toBeNull();
    expect(wantedLidar([viewer({ lidarAll: true, closed: true })], now, false, out)).toBeNull();
    expect(wantedLidar([viewer({ lidarAll: true, role: ROLES.agent })], now, false, out)).toBeNull();
    expect(wantedLidar([viewer({ inspecting: 9, inspectedAt: now })], now, false, out)).toBeNull();
  });
});

describe('the lidar toggle on a live server', () => {
  it('is accepted in an overlays message, and an MPE stream stays without rotations or lidar', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'realtime', hz: 50 });
    const viewer = await spectator(server);
    await viewer.next('scene');
    viewer.send({ kind: 'overlays', graph: false, roles: false, lidar: true });
    // Answered in order: the inspect reply shows the overlays message was taken, not refused.
    viewer.send({ kind: 'inspect', agent: 0 });
    await viewer.next('inspect');
    viewer.messages.length = 0;
    const snap = await viewer.next('snap');
    expect('rotations' in snap).toBe(false);
    expect('lidar' in snap).toBe(false);
    expect(viewer.all.some((m) => m['kind'] === 'error')).toBe(false);

    const bad = await spectator(server);
    await bad.next('scene');
    bad.send({ kind: 'overlays', graph: false, roles: false, lidar: 'yes' });
    expect((await bad.closed).code).toBe(4003);
  });
});
