import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the server room', () => {
  it('imports nothing from agents/ (decisions and learning sit on top of the server, not under it)', () => {
    const offenders = tsFiles(join(ROOT, 'server')).filter((file) => /from\s+'(\.\.\/)+agents\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(ROOT, file))).toEqual([]);
  });
});

const importsFrom = (dir: string, rooms: string): string[] =>
  tsFiles(join(ROOT, dir))
    .filter((file) => new RegExp(`from\\s+'(\\.\\./)+(${rooms})/`).test(readFileSync(file, 'utf8')))
    .map((file) => relative(ROOT, file));

describe('the contract room', () => {
  it('shared/ imports nothing from server/, agents/ or viewer/', () => {
    expect(importsFrom('shared', 'server|agents|viewer')).toEqual([]);
  });

  it('the viewer imports nothing from server/ or agents/ (it talks through the protocol in shared/)', () => {
    expect(importsFrom('viewer/src', 'server|agents')).toEqual([]);
  });
});
