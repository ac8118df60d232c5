import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PolicyFile } from '../../shared/model-format.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { loadPolicyFile } from '../runtime/policy-runtime.ts';
import { exportAgents, type ExportAgent } from './export-agent.ts';
import { quantizeNet, type QuantizedDense } from './quantize.ts';
import { onnxModel } from './onnx-export.ts';
import { cExport, type CFootprint } from './c-export.ts';
import { jsonExport } from './json-export.ts';
import { sampleObservations } from './sample-observations.ts';
import { int8Agreement, int8Retention, type Int8Agreement, type Int8Retention } from './int8-accuracy.ts';

export const EXPORT_FORMATS = ['onnx', 'c', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const MANIFEST_FILE = 'manifest.json';

export type ExportOptions = {
  policy: string;
  format: ExportFormat;
  out: string;
  agent?: string;
  force?: boolean;
  quantize?: 'int8';
  /** ONNX: give the model a `mask` input (default true). */
  mask?: boolean;
  /** int8: observations the agreement is measured on (default 1000), their seed, and evaluation episodes for retention (0: none). */
  accuracyObservations?: number;
  accuracySeed?: number;
  retentionEpisodes?: number;
  log?: (line: string) => void;
};

export type ExportedAgent = { agent: string; files: string[]; flops: number; observationSize: number; actionCount: number; recurrent: boolean; footprint?: CFootprint; int8?: Int8Agreement };
export type ExportResult = { out: string; format: ExportFormat; quantize: 'int8' | null; agents: ExportedAgent[]; retention?: Int8Retention | null };

/**
 * Export one policy file's agents to a new folder, one model per agent plus manifest.json. The
 * folder appears whole or not at all: everything is written to a temporary sibling and renamed.
 */
export function exportPolicy(o: ExportOptions): ExportResult {
  const log = o.log ?? (() => {});
  const file = loadPolicyFile(o.policy);
  const agents = exportAgents(file, o.policy, o.agent);
  const out = resolve(o.out);
  if (existsSync(out) && !o.force) throw new Error(`--out: ${o.out} already exists; pass --force to replace it`);
  const quantized = new Map<string, Map<number, QuantizedDense>>();
  if (o.quantize) {
    const recurrent = agents.find((a) => a.recurrent);
    if (recurrent) throw new Error(`agent ${recurrent.agent}'s net has a GRU layer; --quantize int8 quantizes feed-forward nets only (export it without --quantize)`);
    for (const a of agents) quantized.set(a.agent, quantizeNet(a.net));
  }

  const results: ExportedAgent[] = agents.map((a) => ({ agent: a.agent, files: [], flops: a.flops, observationSize: a.observationSize, actionCount: a.actionCount, recurrent: a.recurrent }));
  let retention: Int8Retention | null | undefined;
  if (o.quantize) {
    const count = o.accuracyObservations ?? 1000;
    const seed = o.accuracySeed ?? 1;
    agents.forEach((a, i) => {
      results[i].int8 = int8Agreement(file, a, quantized.get(a.agent)!, sampleObservations(file, a, count, seed));
    });
    const episodes = o.retentionEpisodes ?? 100;
    if (episodes > 0) {
      log(`export: evaluating float and int8 on ${episodes} episodes for retention`);
      retention = int8Retention(file, agents, quantized, episodes, 12345);
    }
  }

  const tmp = join(dirname(out), `.${basename(out)}.export-${process.pid}-${Date.now()}.tmp`);
  mkdirSync(tmp, { recursive: true });
  try {
    agents.forEach((a, i) => {
      results[i].files = writeAgent(tmp, file, a, o, quantized.get(a.agent), results[i]);
    });
    const manifest = { policy: o.policy, scenario: file.scenario, role: file.role, format: o.format, quantize: o.quantize ?? null, agents: results, ...(retention !== undefined ? { retention } : {}) };
    writeFileSync(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    swapInto(tmp, out);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return { out, format: o.format, quantize: o.quantize ?? null, agents: results, ...(retention !== undefined ? { retention } : {}) };
}

function writeAgent(dir: string, file: PolicyFile, a: ExportAgent, o: ExportOptions, quantized: Map<number, QuantizedDense> | undefined, result: ExportedAgent): string[] {
  const about = { scenario: file.scenario, role: file.role, producedBy: file.producedBy, policy: basename(o.policy) };
  if (o.format === 'onnx') {
    const meta: Record<string, string> = { agent: a.agent, ...about, view: JSON.stringify(a.view), observation_size: String(a.observationSize), action_count: String(a.actionCount), flops: String(a.flops), quantized: quantized ? 'int8' : 'none' };
    writeFileAtomic(join(dir, `${a.ident}.onnx`), onnxModel(a, { meta, mask: o.mask ?? true, quantized }));
    return [`${a.ident}.onnx`];
  }
  if (o.format === 'json') {
    writeFileAtomic(join(dir, `${a.ident}.json`), jsonExport(a, about, quantized));
    return [`${a.ident}.json`];
  }
  const lines = [
    `generated by kdmarl export from ${about.policy} (scenario ${file.scenario}, ${file.role}), agent '${a.agent}'${quantized ? ', int8 weights' : ''}.`,
    `Observation: ${a.observationSize} floats, the agent's observation through the view ${JSON.stringify(a.view)}`,
    `(what the kdmarl server sends an agent that declares this view)${a.agentId ? `; the net's agent-id one-hot (${a.agentId.index} of ${a.agentId.size}) is built in` : ''}.`,
  ];
  const c = cExport(a, lines, quantized);
  result.footprint = c.footprint;
  writeFileAtomic(join(dir, `${a.ident}.h`), c.header);
  writeFileAtomic(join(dir, `${a.ident}.c`), c.source);
  return [`${a.ident}.h`, `${a.ident}.c`];
}

/** Rename the finished folder into place; an old folder (--force) is moved aside first and removed after. */
function swapInto(tmp: string, out: string): void {
  if (!existsSync(out)) {
    renameSync(tmp, out);
    return;
  }
  const old = `${tmp}.old`;
  renameSync(out, old);
  try {
    renameSync(tmp, out);
  } catch (error) {
    renameSync(old, out);
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
}
