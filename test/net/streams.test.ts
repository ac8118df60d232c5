import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentClient } from '../../agents/process/agent-client.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { CLOSE_CODES, FRAME, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { parseReplay, parseScene, parseSnapshot } from '../../viewer/src/stream/wire.ts';
import { inProcessAgent, nextEvent, RawClient, spectator, spreadPolicy, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(stopStarted);

/** A server with one in-process agent per slot, `agents[slot]`, after its first tick. */
async function spreadWithAgents(options: Parameters<typeof startServer>[0] = { scenario: 'spread' }): Promise<{ server: NetServer; agents: AgentClient[] }> {
  const server = await startServer(options);
  const agents: AgentClient[] = [];
  for (let slot = 0; slot < server.world.agentCount; slot++) agents.push(await inProcessAgent(server, [slot]));
  await ticks(server, 1);
  return { server, agents };
}

describe('spectator stream', () => {
  it('sends a scene the viewer parses, then snapshots at the spectator rate', async () => {
    const { server: s } = await spreadWithAgents();
    const viewer = await spectator(s, { rate: 60 });
    const welcome = await viewer.next('welcome');
    expect(welcome.control).toBe(false);
    const scene = parseScene(await viewer.next('scene'));
    expect(scene.scenario).toBe('spread');
    expect(scene.agents).toHaveLength(3);
    const first = parseSnapshot(await viewer.next('snap'), scene);
    const second = parseSnapshot(await viewer.next('snap'), scene);
    expect(second.tick).toBeGreaterThan(first.tick);
    expect(second.agents.connected).toEqual(new Uint8Array([1, 1, 1]));
    expect(second.positions.length).toBe(2 * scene.entities.length);
  });

  it('skips snapshots while a spectator is backed up, then sends the latest world (latest wins)', async () => {
    const { server: s } = await spreadWithAgents();
    const viewer = await spectator(s, { rate: 60 });
    const scene = parseScene(await viewer.next('scene'));
    await viewer.next('snap');
    // Make the server see this spectator's socket as backed up.
    const clients = (s as unknown as { clients: Set<{ role: string | null; ws: object; skippedSnapshots: number }> }).clients;
    const held = [...clients].find((c) => c.role === 'spectator')!;
    Object.defineProperty(held.ws, 'bufferedAmount', { configurable: true, get: () => 10 * 1024 * 1024 });
    const skipped = held.skippedSnapshots;
    await ticks(s, 200);
    expect(held.skippedSnapshots).toBeGreaterThan(skipped);
    const received = viewer.all.filter((m) => m.kind === 'snap').length;
    delete (held.ws as { bufferedAmount?: number }).bufferedAmount;
    const tickNow = s.world.tick;
    let snap = parseSnapshot(await viewer.next('snap'), scene);
    // Anything sent before the hold is older; the first snapshot after it is current.
    while (snap.tick < tickNow) snap = parseSnapshot(await viewer.next('snap'), scene);
    expect(snap.tick).toBeGreaterThanOrEqual(tickNow);
    expect(viewer.all.filter((m) => m.kind === 'snap').length).toBeLessThan(received + 10);
  });

  it('obeys control messages with the control token and refuses them without', async () => {
    const { server: s, agents } = await spreadWithAgents();
    const readOnly = await spectator(s);
    const controller = await spectator(s, { token: s.controlToken });
    expect((await controller.next('welcome')).control).toBe(true);
    readOnly.send({ kind: 'control', token: 'nope', action: 'pause' });
    expect(await readOnly.next('control')).toMatchObject({ ok: false, error: 'bad control token' });
    expect(s.paused).toBe(false);

    controller.send({ kind: 'control', token: s.controlToken, action: 'pause' });
    expect(await controller.next('control')).toMatchObject({ action: 'pause', ok: true });
    const pausedAt = s.world.tick;
    controller.send({ kind: 'control', token: s.controlToken, action: 'step' });
    expect(await controller.next('control')).toMatchObject({ action: 'step', ok: true });
    // The step may already have happened (all answers were in while paused).
    if (s.world.tick === pausedAt) await ticks(s, 1);
    expect(s.world.tick).toBe(pausedAt + 1);
    controller.send({ kind: 'control', token: s.controlToken, action: 'reset' });
    expect(await controller.next('control')).toMatchObject({ ok: true });
    expect(s.world.sim.t).toBe(0);
    controller.send({ kind: 'control', token: s.controlToken, action: 'resume' });
    await controller.next('control');
    await ticks(s, 5);

    controller.send({ kind: 'control', token: s.controlToken, action: 'speed', value: 2 });
    expect(await controller.next('control')).toMatchObject({ ok: true });
    expect(s.mode).toBe('realtime');
    expect(s.hz).toBe(2 * s.baseHz);
    await ticks(s, 1);
    controller.send({ kind: 'control', token: s.controlToken, action: 'speed', hz: 50 });
    expect(await controller.next('control')).toMatchObject({ ok: true });
    expect(s.hz).toBe(50);
    await ticks(s, 1);

    const closedAgent = nextEvent(agents[0], 'disconnected', (code: number) => code === CLOSE_CODES.scenarioChanged);
    controller.send({ kind: 'control', token: s.controlToken, action: 'scenario', value: 'reference' });
    expect(await controller.next('control')).toMatchObject({ action: 'scenario', ok: true });
    await closedAgent;
    let scene = await controller.next('scene');
    while (scene.scenario !== 'reference') scene = await controller.next('scene');
    expect(s.world.name).toBe('reference');
    controller.send({ kind: 'control', token: s.controlToken, action: 'scenario', value: 'no_such_map' });
    expect(await controller.next('control')).toMatchObject({ ok: false });
  });

  it('records a replay the viewer can play', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kdmarl-replay-')), 'run.kdr');
    const { server: s } = await spreadWithAgents({ scenario: 'spread', record: path });
    await ticks(s, 30);
    await s.close();
    const replay = parseReplay(new Uint8Array(readFileSync(path)), 'run.kdr');
    expect(replay.scene.scenario).toBe('spread');
    expect(replay.snapshots.length).toBeGreaterThanOrEqual(30);
    expect(replay.snapshots[1].tick).toBe(replay.snapshots[0].tick + 1);
  });
});

describe('supervisor stream', () => {
  it('receives every transition with state, teacher and student views, actions, rewards and episode ends', async () => {
    const { server: s } = await spreadWithAgents();
    const supervisor = new RawClient(s.url.replace(/\/$/, SUPERVISOR_PATH));
    await supervisor.opened();
    supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: s.controlToken });
    const welcome = await supervisor.next('welcome');
    const teacherSizes = welcome.teacherSizes as number[];
    const studentSizes = welcome.studentSizes as number[];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    let lastT = -1;
    let sawEnd = false;
    for (let k = 0; k < 40; k++) {
      const frame = await supervisor.nextArray();
      expect(frame[0]).toBe(FRAME.step);
      const [, , , t, state, teacher, student, masks, actions, rewards, missed, done] = frame as [number, number, number, number, Float32Array, Float32Array, Float32Array, Uint8Array, Int16Array, Float32Array, Uint8Array, number];
      expect(state.length).toBe(welcome.stateSize);
      expect(teacher.length).toBe(sum(teacherSizes));
      expect(student.length).toBe(sum(studentSizes));
      expect(masks.length).toBe(15);
      expect(actions.length).toBe(3);
      expect(rewards.length).toBe(3);
      expect(missed).toEqual(new Uint8Array(3));
      if (lastT >= 0) expect(t).toBe(lastT === 24 ? 0 : lastT + 1);
      if (t === 24) {
        expect(done).toBe(2);
        sawEnd = true;
      } else expect(done).toBe(0);
      lastT = t;
    }
    expect(sawEnd).toBe(true);
  });

  it('pushes new weights to agents, swapped in at the next episode; bad weights are refused', async () => {
    const { server: s, agents } = await spreadWithAgents();
    const supervisor = new RawClient(s.url.replace(/\/$/, SUPERVISOR_PATH));
    await supervisor.opened();
    supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: s.controlToken, teacherObservations: false });
    await supervisor.next('welcome');
    const step = await supervisor.nextArray();
    expect((step[5] as Float32Array).length).toBe(0);
    expect((step[6] as Float32Array).length).toBe(36);
    supervisor.send({ kind: 'weights', policy: spreadPolicy(s), slots: [1] });
    expect(await supervisor.next('weights-sent')).toMatchObject({ slots: [1], offline: [] });
    expect(await supervisor.next('weights-ack')).toMatchObject({ ok: true, slots: [1], generation: 1 });
    const episode = s.world.episode;
    await nextEvent(s, 'episode');
    await ticks(s, 1);
    expect(s.world.episode).toBeGreaterThan(episode);
    expect(agents[1].runners[0].generation).toBe(1);
    expect(agents[1].runners[0].policy.label).toBe('student');
    expect(agents[0].runners[0].generation).toBe(0);

    supervisor.send({ kind: 'weights', policy: new Uint8Array([1, 2, 3]), slots: [0] });
    const refused = await supervisor.next('weights-ack');
    expect(refused.ok).toBe(false);
    expect(String(refused.error)).toMatch(/not a/);
  });

  it('refuses a supervisor with a bad token or on the wrong path', async () => {
    const { server: s } = await spreadWithAgents();
    const bad = new RawClient(s.url.replace(/\/$/, SUPERVISOR_PATH));
    const wrongPath = new RawClient(s.url);
    await Promise.all([bad.opened(), wrongPath.opened()]);
    bad.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: 'guess' });
    wrongPath.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: s.controlToken });
    expect((await bad.closed).code).toBe(CLOSE_CODES.badToken);
    expect((await wrongPath.closed).code).toBe(CLOSE_CODES.wrongPath);
  });
});
