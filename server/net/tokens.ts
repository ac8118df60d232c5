import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileAtomic } from '../../shared/atomic-write.ts';

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

/** Written atomically and created 0600, so the tokens are never readable by other users. */
export function writeTokensFile(path: string, tokens: TokensFile): void {
  writeFileAtomic(path, JSON.stringify(tokens, null, 2) + '\n', 0o600);
}
