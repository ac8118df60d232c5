import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, readConfigFile, resolveConfig } from '../../agents/learn/config.ts';

describe('training config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-config-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('resolves defaults, scenario defaults, file and flags in that order', () => {
    const config = resolveConfig('spread', { epochs: 3, seed: 4 }, { seed: 9 });
    expect(config.scenario).toBe('spread');
    expect(config.epochs).toBe(3);
    expect(config.seed).toBe(9);
    expect(config.lr).toBe(7e-4); // MPE scripts' learning rate
    expect(resolveConfig('some_new_map').actorHidden).toEqual([256, 256]); // docs/method.md §2 default
  });

  it('names an unknown field and an invalid one', () => {
    expect(() => readConfigFile(file('unknown.json', '{"epochs": 3, "learningRate": 0.1}'))).toThrow(/unknown\.json: learningRate: unknown config field/);
    expect(() => readConfigFile(file('bad.json', '{"lr": -1}'))).toThrow(/bad\.json: lr: .*(>0|positive|greater)/i);
    expect(() => readConfigFile(file('hidden.json', '{"actorHidden": [64, 0]}'))).toThrow(/actorHidden\[1\]/);
    expect(() => readConfigFile(file('broken.json', '{"lr": '))).toThrow(/broken\.json: not valid JSON/);
    expect(() => readConfigFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read config \(ENOENT\)/);
  });

  it('documents every field', () => {
    for (const line of describeConfig().split('\n')) expect(line.trim().split(/\s+/).length).toBeGreaterThan(2);
  });
});
