import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { median } from 'simple-statistics';
import { pino } from 'pino';
import { fromRoot } from '../shared/paths.ts';
import { startServer } from '../server/net/start-server.ts';
import type { NetServer } from '../server/net/net-server.ts';

/** The Debian python, where python3-websockets, python3-msgpack and python3-numpy install. */
const PYTHON = '/usr/bin/python3';
/** How often the slots' medians are read while the server runs. */
const SAMPLE_MS = 250;

export type RoundTripFigure = {
  /** Medians over the samples of each slot's median round trip (its last 64 answers), ms. */
  pythonMs: number;
  nodeMs: number;
  pythonOverNode: number;
  ticksPerSecond: number;
  samples: number;
  seconds: number;
};

/**
 * The Python agent's round trip beside the Node agent's, on loopback: a lockstep spread server
 * in this process (3 slots), slot 0 answered by `python3 -m kdmarl.agent --policy random`, slots
 * 1 and 2 by two Node agent processes (dist/agent.js --model random). Each slot's figure is the
 * server's own (the median of its last 64 answers, as /status shows), read every SAMPLE_MS;
 * the Node figure is the median over both Node slots. `skipped`, with the reason, where it cannot run.
 */
export async function benchRoundTrip(seconds: number, log: (line: string) => void): Promise<RoundTripFigure | { skipped: string }> {
  const missing = pythonMissing() ?? (existsSync(fromRoot('dist', 'agent.js')) ? null : 'dist/agent.js not built (npm run build)');
  if (missing) {
    log(`deploy round trip: skipped, ${missing}`);
    return { skipped: missing };
  }
  const { server, tokensFile } = await startServer({ scenario: 'spread', host: '127.0.0.1', port: 0, mode: 'lockstep', logger: pino({ level: 'silent' }) });
  const children: ChildProcess[] = [];
  try {
    children.push(spawn(PYTHON, ['-m', 'kdmarl.agent', '--tokens', tokensFile, '--slot', '0', '--policy', 'random'], {
      env: { ...process.env, PYTHONPATH: fromRoot('agents', 'python') },
      stdio: 'ignore',
    }));
    for (const slot of [1, 2]) {
      children.push(spawn(process.execPath, [fromRoot('dist', 'agent.js'), '--server', server.url, '--slot', String(slot), '--model', 'random', '--log-level', 'warn'], {
        env: { ...process.env, KDMARL_AGENT_TOKEN: server.tokens[slot] },
        stdio: 'ignore',
      }));
    }
    await allClaimed(server, children);
    // A warm-up, so that every slot's window of 64 holds answers from the running agent only.
    await ticksDone(server, 200, children);
    const python: number[] = [];
    const node: number[] = [];
    const tick0 = server.status().tick;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const agents = server.status().agents;
      python.push(agents[0].latencyMs);
      node.push(agents[1].latencyMs, agents[2].latencyMs);
    }
    const ticksPerSecond = (server.status().tick - tick0) / ((performance.now() - t0) / 1000);
    const pythonMs = median(python);
    const nodeMs = median(node);
    const figure: RoundTripFigure = {
      pythonMs: round3(pythonMs),
      nodeMs: round3(nodeMs),
      pythonOverNode: round3(pythonMs / nodeMs),
      ticksPerSecond: round3(ticksPerSecond),
      samples: python.length,
      seconds,
    };
    log(`deploy round trip spread lockstep on loopback (random policies): Python agent ${figure.pythonMs} ms, Node agent ${figure.nodeMs} ms median; Python ${figure.pythonOverNode}x Node; ${figure.ticksPerSecond} ticks/s`);
    return figure;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await server.close();
  }
}

function pythonMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets, msgpack, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (apt-get install python3)`;
  if (probe.status !== 0) return `${PYTHON} lacks websockets, msgpack or numpy (apt-get install python3-websockets python3-msgpack python3-numpy)`;
  return null;
}

/** Resolves when every slot has an agent; rejects when an agent process exits first. */
function allClaimed(server: NetServer, children: ChildProcess[]): Promise<void> {
  return whileRunning(children, (done) => {
    const check = (): void => {
      if (server.status().agents.every((a) => a.connected)) {
        server.off('claim', check);
        done();
      }
    };
    server.on('claim', check);
    check();
  });
}

function ticksDone(server: NetServer, count: number, children: ChildProcess[]): Promise<void> {
  const until = server.world.tick + count;
  return whileRunning(children, (done) => {
    const check = (tick: number): void => {
      if (tick >= until) {
        server.off('tick', check);
        done();
      }
    };
    server.on('tick', check);
  });
}

function whileRunning(children: ChildProcess[], wait: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`an agent process exited (${code}) before the benchmark ran`));
    for (const child of children) child.once('exit', onExit);
    wait(() => {
      for (const child of children) child.off('exit', onExit);
      resolve();
    });
  });
}

const round3 = (x: number): number => Number(x.toPrecision(3));
