import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.ts';


describe('network commands from dist', () => {
  it('serve --json prints its URL and a 0600 tokens file first, stops on SIGTERM and removes the temp dir it made', async () => {
    let first: Record<string, unknown> | null = null;
    let tokensWhileRunning: { exists: boolean; mode: number } | null = null;
    const { code } = await runCli(['serve', '--scenario', 'spread', '--json', '--log-level', 'warn'], (line, kill) => {
      if (first) return;
      first = JSON.parse(line) as Record<string, unknown>;
      const file = String(first.tokensFile);
      tokensWhileRunning = { exists: existsSync(file), mode: existsSync(file) ? statSync(file).mode & 0o777 : 0 };
      kill();
    });
    expect(code).toBe(0);
    expect(String(first!.url)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const tokens = String(first!.tokensFile);
    expect(tokensWhileRunning!.exists).toBe(true);
    expect(tokensWhileRunning!.mode).toBe(0o600);
    expect(basename(dirname(tokens))).toMatch(/^kdmarl-/);
    expect(existsSync(dirname(tokens))).toBe(false);
  });

  it('up starts the server and agents, reports status and stops every child', async () => {
    const { code, lines } = await runCli(['up', '--scenario', 'spread', '--mode', 'lockstep', '--duration', '4', '--json']);
    expect(code).toBe(0);
    // --json: every stdout line is one JSON object.
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.some((o) => /^http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(String(o.viewer)))).toBe(true);
    // The shipped students run by default (models/spread/student.policy), under the profile's caps.
    expect(objects.some((o) => o.agents === 3 && /models\/spread\/student\.policy$/.test(String(o.model)))).toBe(true);
    const final = JSON.parse(lines[lines.length - 1]) as { final: { agents: unknown[]; scenario: string } };
    expect(final.final.scenario).toBe('spread');
    expect(final.final.agents).toHaveLength(3);
  });

  it('stress --json prints one object with the fault and clean figures', async () => {
    const { code, lines } = await runCli(['stress', '--scenario', 'spread', '--duration', '1', '--drop', '0.05', '--no-clean', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(lines[lines.length - 1]) as { clean: unknown; faults: Record<string, unknown> };
    expect(result.clean).toBeNull();
    for (const key of ['ticksPerSec', 'roundTripMs', 'deadlineMissRate', 'reconnects', 'episodes', 'meanReturn']) expect(result.faults).toHaveProperty(key);
  });

  it('refuses bad flags with a message naming the flag', async () => {
    const { code, stderr } = await runCli(['agent', '--server', 'ws://127.0.0.1:1/', '--slot', 'x']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--slot/);
  });
});
