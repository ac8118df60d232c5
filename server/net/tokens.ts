import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A fresh unguessable token (128 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** Compare without leaking the position of the first differing byte through timing. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What `kdmarl serve --json` points launchers at. */
export type TokensFile = {
  url: string;
  scenario: string;
  control: string;
  /** Per slot, in agent order. */
  slots: { slot: number; agent: string; token: string }[];
};

/**
 * Written atomically (temp file, fsync, rename) and created 0600 from the start, so the tokens are
 * never readable by other users, not even for the moment between create and chmod.
 */
export function writeTokensFile(path: string, tokens: TokensFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      const bytes = Buffer.from(JSON.stringify(tokens, null, 2) + '\n');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
