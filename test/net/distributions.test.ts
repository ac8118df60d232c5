import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, FRAME, PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { actionFrameTick, readDistribution } from '../../shared/frame-guards.ts';
import { ACTION_CATEGORIES, DistributionStructure, actionCategory } from '../../shared/relations.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { RawClient, inProcessAgent, packr, nextEvent, spectator, spreadPolicy, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

describe('relations and roles from action distributions', () => {
  it('R[i][j] is the distance over the mean live distance; roles are the most likely action category', () => {
    const names = [
      ['no_op', 'stop', 'move_north', 'attack_enemy_0'],
      ['no_op', 'stop', 'move_north', 'attack_enemy_0'],
      ['no_op', 'stop', 'move_north', 'attack_enemy_0'],
      // Heterogeneous: fewer actions (zero-padded to the widest), and dead in this step.
      ['no_action', 'move_left'],
    ];
    const structure = new DistributionStructure(names);
    const probs = Float32Array.from([
      0, 0.1, 0.2, 0.7, // attack
      0, 0.3, 0.6, 0.1, // move
      0, 0.1, 0.2, 0.7, // attack, same as agent 0
      0.5, 0.5,
    ]);
    const live = Uint8Array.from([1, 1, 1, 0]);
    expect(structure.compute(probs, [0, 4, 8, 12], live)).toBe(3);
    const d01 = Math.hypot(0, 0.2, 0.4, 0.6);
    const d02 = Math.sqrt(1e-8);
    const mean = (4 * d01 + 2 * d02) / 6;
    const R = structure.relations;
    expect(R[0 * 4 + 1]).toBeCloseTo(d01 / (mean + 1e-6), 4);
    expect(R[1 * 4 + 2]).toBeCloseTo(d01 / (mean + 1e-6), 4);
    expect(R[0 * 4 + 2]).toBeCloseTo(d02 / (mean + 1e-6), 4);
    for (let i = 0; i < 4; i++) expect(R[i * 4 + i]).toBe(0);
    for (let j = 0; j < 4; j++) expect(R[3 * 4 + j]).toBe(0);
    expect([...structure.roles]).toEqual([2, 1, 2, -1]);
    expect(structure.roleNames[2]).toBe('attack');

    // The dead agent comes back: its 'hold'/'move' tie goes to the first category.
    live[3] = 1;
    structure.compute(probs, [0, 4, 8, 12], live);
    expect(structure.roles[3]).toBe(ACTION_CATEGORIES.indexOf('hold'));
    expect(R[3 * 4 + 0]).toBeGreaterThan(0);
  });

  it('names action categories as the simulators spell actions', () => {
    expect(['no_op', 'stop', 'no_action', 'move_up', 'move_left+say_1', 'attack_enemy_3', 'heal_agent_0', 'say_2', 'x'].map(actionCategory)).toEqual([0, 0, 0, 1, 1, 2, 3, 4, 5]);
  });

  it('the action frame guard checks the distributions element; values are sanitised on reading', () => {
    const actions = Int16Array.from([1, 2]);
    expect(actionFrameTick([FRAME.act, 7, actions], 2, 10)).toBe(7);
    expect(actionFrameTick([FRAME.act, 7, actions, new Float32Array(10)], 2, 10)).toBe(7);
    expect(actionFrameTick([FRAME.act, 7, actions, new Float32Array(9)], 2, 10)).toBe(-1);
    expect(actionFrameTick([FRAME.act, 7, actions, [0.5, 0.5]], 2, 2)).toBe(-1);
    expect(actionFrameTick([FRAME.act, 7, actions, new Float64Array(10)], 2, 10)).toBe(-1);
    expect(actionFrameTick([FRAME.act, 7, actions, new Float32Array(10), 0], 2, 10)).toBe(-1);
    const out = new Float32Array(4);
    expect(readDistribution(Float32Array.from([NaN, -1, 1, 3]), 0, 4, out, 0)).toBe(true);
    expect([...out]).toEqual([0, 0, 0.25, 0.75]);
    expect(readDistribution(Float32Array.from([NaN, -1, 0, Infinity]), 0, 4, out, 0)).toBe(false);
    expect([...out]).toEqual([0, 0, 0, 0]);
  });
});

describe('action distributions over the network', () => {
  let dir = '';

  afterEach(async () => {
    await stopStarted();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** Inspect `agent` until a reply carries its distribution (asking starts the agent sending). */
  async function inspectUntilProbs(viewer: RawClient, s: NetServer, agent: number): Promise<Record<string, unknown>> {
    for (;;) {
      viewer.send({ kind: 'inspect', agent });
      const reply = await viewer.next('inspect');
      if (reply.probs) return reply;
      expect(reply.probsNote).toMatch(/asked the agent/);
      await ticks(s, 2);
    }
  }

  it('agents running a policy file send their softmax while a spectator inspects or shows overlays; snapshots carry relations and roles', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'lockstep' });
    dir = mkdtempSync(join(tmpdir(), 'kdmarl-dist-'));
    const file = join(dir, 'student.msgpack');
    writeFileSync(file, spreadPolicy(server));
    const n = server.world.agentCount;
    // Two processes: slot 0 alone, slots 1-2 in host mode (distributions concatenated in one frame).
    await inProcessAgent(server, [0], file);
    await inProcessAgent(server, [1, 2], file);
    await ticks(server, 3);

    const viewer = await spectator(server, { rate: 60 });
    await viewer.next('scene');
    const plain = await viewer.next('snap');
    expect(plain.relations).toBeUndefined();

    // Inspecting agent 2 (held by the host connection) brings its masked softmax.
    const reply = await inspectUntilProbs(viewer, server, 2);
    expect(reply.probsKind).toBe('softmax');
    const probs = reply.probs as Float32Array;
    expect(probs).toBeInstanceOf(Float32Array);
    expect(probs.length).toBe(5);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.max(...probs)).toBeLessThan(1);
    expect(Math.min(...probs)).toBeGreaterThan(0);

    // The graph overlay: every agent sends, snapshots carry the relation matrix and roles.
    viewer.send({ kind: 'overlays', graph: true, roles: false });
    let snap: Record<string, unknown>;
    for (;;) {
      snap = await viewer.next('snap');
      const roles = snap.roles as Int32Array | undefined;
      if (roles && roles.every((r) => r >= 0)) break;
    }
    const R = snap.relations as Float32Array;
    expect(R).toBeInstanceOf(Float32Array);
    expect(R.length).toBe(n * n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      expect(R[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        expect(R[i * n + j]).toBeCloseTo(R[j * n + i], 5);
        if (i !== j) {
          expect(R[i * n + j]).toBeGreaterThan(0);
          sum += R[i * n + j];
        }
      }
    }
    expect(sum / (n * (n - 1))).toBeCloseTo(1, 3);
    expect(snap.roleNames).toEqual(['hold', 'move', 'attack', 'heal', 'say', 'other']);
    for (const r of snap.roles as Int32Array) expect(['hold', 'move']).toContain((snap.roleNames as string[])[r]);
    // The distributions the structure came from ride along: each sums to 1, and each role is its largest category.
    const all = snap.probabilities as Float32Array;
    expect(all).toBeInstanceOf(Float32Array);
    expect(all.length).toBe(n * 5);
    for (let i = 0; i < n; i++) {
      const p = all.subarray(5 * i, 5 * i + 5);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const hold = p[0];
      expect((snap.roles as Int32Array)[i]).toBe(hold >= 1 - hold ? 0 : 1);
    }

    // Overlays off again: snapshots stop carrying the structure.
    viewer.send({ kind: 'overlays', graph: false, roles: false });
    await nextEvent(server, 'tick');
    for (;;) {
      const next = await viewer.next('snap');
      if (next.relations === undefined) {
        expect(next.probabilities).toBeUndefined();
        break;
      }
    }
  });

  it('random agents report uniform over the allowed actions', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'lockstep' });
    await inProcessAgent(server, [0, 1, 2], 'random');
    await ticks(server, 2);
    const viewer = await spectator(server);
    const reply = await inspectUntilProbs(viewer, server, 1);
    expect(reply.probsKind).toBe('uniform');
    expect([...(reply.probs as Float32Array)]).toEqual(new Array(5).fill(Float32Array.from([0.2])[0]));
  });

  it('scripted agents report the one-hot of the action they chose', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'lockstep' });
    await inProcessAgent(server, [0, 1, 2], 'scripted');
    await ticks(server, 2);
    const viewer = await spectator(server);
    const reply = await inspectUntilProbs(viewer, server, 0);
    expect(reply.probsKind).toBe('one-hot');
    const probs = [...(reply.probs as Float32Array)];
    expect(probs.filter((p) => p === 1)).toHaveLength(1);
    expect(probs.filter((p) => p === 0)).toHaveLength(4);
  });

  it('asks agents for distributions only while a spectator shows overlays or inspects their slot', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'lockstep', waitForAgents: false });
    const agent = new RawClient(server.url);
    await agent.opened();
    agent.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 1, token: server.tokens[1] }] });
    await agent.next('welcome');
    const viewer = await spectator(server);
    await viewer.next('scene');
    viewer.send({ kind: 'inspect', agent: 0 });
    await viewer.next('inspect');
    viewer.send({ kind: 'inspect', agent: 1 });
    await viewer.next('inspect');
    expect(await agent.next('probabilities')).toEqual({ kind: 'probabilities', on: true });
    // The spectator leaves: nobody looks any more.
    viewer.close();
    expect(await agent.next('probabilities')).toEqual({ kind: 'probabilities', on: false });
    const second = await spectator(server);
    second.send({ kind: 'overlays', graph: false, roles: true });
    expect(await agent.next('probabilities')).toEqual({ kind: 'probabilities', on: true });
    second.send({ kind: 'overlays', graph: false, roles: false });
    expect(await agent.next('probabilities')).toEqual({ kind: 'probabilities', on: false });
    // Only the one request per change: inspecting slot 0 (another connection's) sent nothing here.
    expect(agent.all.filter((m) => m.kind === 'probabilities')).toHaveLength(4);
    second.send({ kind: 'overlays', graph: 'yes' });
    expect((await second.closed).code).toBe(CLOSE_CODES.badMessage);
  });

  it('a malformed distributions element closes the agent with badMessage', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'lockstep', waitForAgents: false });
    const agent = new RawClient(server.url);
    await agent.opened();
    agent.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 0, token: server.tokens[0] }] });
    await agent.next('welcome');
    const frame = await agent.nextArray();
    // Spread has 5 actions: 4 probabilities is not this connection's distribution.
    agent.ws.send(packr.pack([FRAME.act, frame[1], Int16Array.from([0]), new Float32Array(4)]));
    expect(String((await agent.next('error')).message)).toMatch(/5 probabilities/);
    expect((await agent.closed).code).toBe(CLOSE_CODES.badMessage);
  });
});
