import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { EXPORT_FORMATS, exportPolicy, type ExportResult } from './export-policy.ts';

const command = defineCommand(
  'export',
  {
    policy: str('policy file to export (student.policy, teacher.policy)', z.string({ error: 'required' })),
    format: str(`one of ${EXPORT_FORMATS.join(', ')}`, z.enum(EXPORT_FORMATS, { error: `expected one of ${EXPORT_FORMATS.join(', ')}` })),
    agent: str('export only this agent', z.string().optional(), { defaultLabel: 'every agent' }),
    out: str('folder to create (one model per agent and manifest.json)', z.string({ error: 'required' })),
    force: bool('replace --out if it exists'),
    quantize: str("'int8': int8 weights with a float scale per output unit, and their accuracy against float", z.enum(['int8'], { error: "the only quantization is 'int8'" }).optional()),
    noMask: bool('onnx: leave out the mask input (every action allowed)'),
    observations: str('int8: observations the action agreement and logit error are measured on', intArg().positive().default(1000)),
    evalEpisodes: str('int8: greedy episodes for the retention of int8 against float (0: skip)', intArg().nonnegative().default(100)),
    json: common.json(),
  },
  'Write a policy as ONNX, C99 or JSON, one model per agent. docs/export.md describes each format.',
);

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const result = exportPolicy({
    policy: args.policy,
    format: args.format,
    out: args.out,
    agent: args.agent,
    force: args.force,
    quantize: args.quantize,
    mask: !args.noMask,
    accuracyObservations: args.observations,
    retentionEpisodes: args.evalEpisodes,
    log: args.json ? undefined : (line) => console.error(line),
  });
  if (args.json) console.log(JSON.stringify(result));
  else for (const line of exportLines(result)) console.log(line);
  return 0;
}

const n = (x: number): string => x.toLocaleString('en-US');

export function exportLines(r: ExportResult): string[] {
  const lines = [`wrote ${r.out} (${r.format}${r.quantize ? `, ${r.quantize}` : ''}, ${r.agents.length} agent${r.agents.length === 1 ? '' : 's'})`];
  for (const a of r.agents) {
    const f = a.footprint;
    lines.push(
      f
        ? `  ${a.agent}: ${a.files.join(' ')}  weights ${n(f.weightBytes)} B, scratch ${n(f.scratchBytes)} B on the stack${f.scratchBytesSinglePrecision !== f.scratchBytes ? ` (${n(f.scratchBytesSinglePrecision)} B float-only)` : ''}, ${n(a.flops)} FLOPs/decision`
        : `  ${a.agent}: ${a.files.join(' ')}  ${a.observationSize} inputs, ${a.actionCount} actions, ${n(a.flops)} FLOPs/decision${a.recurrent ? ', recurrent' : ''}`,
    );
    if (a.int8) lines.push(`    int8: greedy actions agree with float on ${(100 * a.int8.actionAgreement).toFixed(1)}% of ${a.int8.observations} observations, max logit error ${a.int8.maxLogitError.toPrecision(3)}`);
  }
  if (r.agents[0]?.int8) lines.push(`  observations: each agent's own, e.g. ${r.agents[0].int8.source}`);
  if (r.retention) {
    const t = r.retention;
    const figure = t.on === 'winRate' ? `win rate ${(100 * t.int8.winRate).toFixed(1)}% vs ${(100 * t.float.winRate).toFixed(1)}% float` : `return ${t.int8.meanReturn} vs ${t.float.meanReturn} float (random ${t.random?.meanReturn})`;
    lines.push(`  int8 retention ${(100 * t.retention).toFixed(1)}% (${figure}; ${t.note})`);
  } else if (r.retention === null) lines.push(`  int8 retention: not measured (the policy's scenario is not known to this kdmarl)`);
  return lines;
}
