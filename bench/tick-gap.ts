/**
 * The longest gap between two world ticks while a client sends the largest frame its role allows
 * (docs/reliability.md, "Under attack"). A lockstep spread server with three agent processes;
 * each attacker is a separate node process, so only the server's own work shows in the gaps.
 * Needs the build: `npm run build && node dist/bench/tick-gap.js [repeats]`.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { AgentLauncher } from '../server/net/agent-launcher.ts';
import { startServer } from '../server/net/start-server.ts';
import { LIMITS, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../shared/protocol.ts';

/** Each attack as a node script: argv[1] the server URL, argv[2] the control token. */
const ATTACKS: Record<string, string> = {
  // The reproduction: an 8 MiB array of nils plus one stray byte, before any hello.
  'unauthenticated 8 MiB frame on /supervisor': `
    const W = require('ws'); const w = new W(process.argv[1] + 'supervisor');
    w.on('open', () => { const n = 8 << 20, b = Buffer.alloc(n + 6); b[0] = 0xdd; b.writeUInt32BE(n, 1); b[n + 5] = 0xc0; w.send(b); });
    w.on('close', (c) => { console.log(c); process.exit(0); });`,
  // An authenticated supervisor's largest frame: a weights message just under the path's limit, forwarded to every agent.
  'authenticated supervisor, 16 MiB weights frame': `
    const W = require('ws'); const { Packr } = require('msgpackr'); const p = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true });
    const w = new W(process.argv[1] + '${SUPERVISOR_PATH.slice(1)}');
    w.on('open', () => w.send(p.pack({ kind: 'hello', version: ${PROTOCOL_VERSION}, role: 'supervisor', token: process.argv[2], teacherObservations: false })));
    let sent = false;
    w.on('message', (d) => { const m = p.unpack(d); if (Array.isArray(m)) return;
      if (m.kind === 'welcome' && !sent) { sent = true; w.send(p.pack({ kind: 'weights', policy: new Uint8Array(${LIMITS.supervisorMaxPayload} - 1024) })); }
      if (m.kind === 'weights-ack') { console.log('ack'); process.exit(0); } });`,
  // A hostile authenticated supervisor: 16 MiB of nils, refused by the structural check before decoding.
  'authenticated supervisor, 16 MiB array of nils': `
    const W = require('ws'); const { Packr } = require('msgpackr'); const p = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true });
    const w = new W(process.argv[1] + '${SUPERVISOR_PATH.slice(1)}');
    w.on('open', () => w.send(p.pack({ kind: 'hello', version: ${PROTOCOL_VERSION}, role: 'supervisor', token: process.argv[2], teacherObservations: false })));
    w.on('message', (d) => { const m = p.unpack(d); if (!Array.isArray(m) && m.kind === 'welcome') { const n = ${LIMITS.supervisorMaxPayload} - 16, b = Buffer.alloc(n + 5); b[0] = 0xdd; b.writeUInt32BE(n, 1); b.fill(0xc0, 5); w.send(b); } });
    w.on('close', (c) => { console.log(c); process.exit(0); });`,
};

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 5);
  const log = pino({ level: 'silent' });
  const { server } = await startServer({ scenario: 'spread', mode: 'lockstep', logger: log });
  const launcher = new AgentLauncher({ url: server.url, log });
  server.tokens.forEach((token, slot) => launcher.start({ slot, token, model: 'random', caps: {} }));
  await new Promise<void>((resolve) => server.once('tick', () => resolve()));
  let last = performance.now();
  let longest = 0;
  let count = 0;
  server.on('tick', () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    count++;
  });
  const window = async (run: () => Promise<string>): Promise<{ gapMs: number; ticks: number; outcome: string }> => {
    last = performance.now();
    longest = 0;
    count = 0;
    const outcome = await run();
    return { gapMs: Math.max(longest, performance.now() - last), ticks: count, outcome };
  };
  const idle = await window(() => new Promise((resolve) => setTimeout(() => resolve('idle'), 2000)));
  console.log(`no attack (2 s): longest tick gap ${idle.gapMs.toFixed(1)} ms over ${idle.ticks} ticks`);
  for (const [name, script] of Object.entries(ATTACKS).filter(([n]) => !process.env.ONLY || n.includes(process.env.ONLY))) {
    const gaps: number[] = [];
    const outcomes = new Set<string>();
    let ticks = 0;
    for (let k = 0; k < repeats; k++) {
      const r = await window(() => attacker(script, server.url, server.controlToken));
      gaps.push(r.gapMs);
      outcomes.add(r.outcome);
      ticks += r.ticks;
    }
    // Each run's longest gap too: on a shared machine one run's stall may be the load's, not the attack's.
    const each = gaps.map((g) => g.toFixed(0)).join(', ');
    console.log(`${name}: longest tick gap ${Math.max(...gaps).toFixed(1)} ms over ${repeats} runs (each run: ${each} ms; ${ticks} ticks during them; attacker saw ${[...outcomes].join(', ')})`);
  }
  await launcher.stopAll();
  await server.close();
}

function attacker(script: string, url: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script, url, token], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => resolve(out.trim()));
  });
}

await main();
