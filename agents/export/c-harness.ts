import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportAgent } from './export-agent.ts';

/** The flags the C export is checked with (tests and `bench deploy`). */
export const C_FLAGS = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror'] as const;

/**
 * A small C program around one exported agent, for tests and benchmarks. 'check' reads records
 * from stdin, each [u8 episode start][u8 mask x actions][f32 observation x size] (native byte
 * order), and writes [f32 logits x actions][i32 action] per record. 'time' reads `count` records,
 * then times `reps` decisions cycling over them and prints nanoseconds per decision.
 */
export function cHarness(agent: ExportAgent, mode: 'check' | 'time'): string {
  const p = `kdmarl_${agent.ident}`;
  const P = p.toUpperCase();
  const recurrent = agent.recurrent;
  const call = (obs: string, mask: string) => `${p}_decide(${recurrent ? '&state, ' : ''}${obs}, ${mask}, logits)`;
  const common = [
    '#define _POSIX_C_SOURCE 199309L',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    '#include <time.h>',
    `#include "${agent.ident}.h"`,
    '',
    `#define OBS ${P}_OBSERVATION_SIZE`,
    `#define ACTIONS ${P}_ACTION_COUNT`,
    '',
    'static int read_record(unsigned char *start, unsigned char *mask, float *observation) {',
    '  return fread(start, 1, 1, stdin) == 1 && fread(mask, 1, ACTIONS, stdin) == ACTIONS && fread(observation, sizeof(float), OBS, stdin) == OBS;',
    '}',
    '',
  ];
  if (mode === 'check') {
    return [
      ...common,
      'int main(void) {',
      '  unsigned char start, mask[ACTIONS];',
      '  float observation[OBS], logits[ACTIONS];',
      ...(recurrent ? [`  ${p}_state state;`, `  ${p}_reset(&state);`] : []),
      '  while (read_record(&start, mask, observation)) {',
      '    int action;',
      recurrent ? `    if (start) ${p}_reset(&state);` : '    (void)start;',
      `    action = ${call('observation', 'mask')};`,
      '    fwrite(logits, sizeof(float), ACTIONS, stdout);',
      '    fwrite(&action, sizeof(int), 1, stdout);',
      '  }',
      '  return 0;',
      '}',
      '',
    ].join('\n');
  }
  return [
    ...common,
    'static double now(void) {',
    '  struct timespec t;',
    '  clock_gettime(CLOCK_MONOTONIC, &t);',
    '  return t.tv_sec + 1e-9 * t.tv_nsec;',
    '}',
    '',
    'int main(int argc, char **argv) {',
    '  long count = argc > 1 ? atol(argv[1]) : 1, reps = argc > 2 ? atol(argv[2]) : 1000000, k, n;',
    '  unsigned char start, *masks = malloc((size_t)count * ACTIONS);',
    '  float *observations = malloc((size_t)count * OBS * sizeof(float)), logits[ACTIONS];',
    '  long checksum = 0;',
    '  double t0;',
    ...(recurrent ? [`  ${p}_state state;`, `  ${p}_reset(&state);`] : []),
    '  if (!masks || !observations) return 1;',
    '  for (n = 0; n < count && read_record(&start, masks + n * ACTIONS, observations + n * OBS); n++) {}',
    '  if (n == 0) return 1;',
    '  t0 = now();',
    `  for (k = 0; k < reps; k++) checksum += ${call('observations + (k % n) * OBS', 'masks + (k % n) * ACTIONS')};`,
    '  printf("%.3f %ld\\n", 1e9 * (now() - t0) / reps, checksum);',
    '  free(masks);',
    '  free(observations);',
    '  return 0;',
    '}',
    '',
  ].join('\n');
}

/** Compile an exported agent with a harness in `dir` (where its .h/.c are), optionally float-only; returns the program's path. Throws with gcc's output. */
export function compileHarness(dir: string, agent: ExportAgent, mode: 'check' | 'time', singlePrecision = false): string {
  const main = join(dir, `${agent.ident}_${mode}.c`);
  const program = join(dir, `${agent.ident}_${mode}${singlePrecision ? '_single' : ''}`);
  writeFileSync(main, cHarness(agent, mode));
  const defines = singlePrecision ? ['-DKDMARL_SINGLE_PRECISION'] : [];
  const gcc = spawnSync('gcc', [...C_FLAGS, ...defines, '-o', program, main, join(dir, `${agent.ident}.c`), '-lm'], { encoding: 'utf8' });
  if (gcc.error) throw new Error(`gcc: ${gcc.error.message} (install gcc to build the C export)`);
  if (gcc.status !== 0) throw new Error(`gcc failed on ${agent.ident}:\n${gcc.stderr}`);
  return program;
}

/** The harness's input records for a sample of observations (see cHarness). */
export function harnessInput(agent: ExportAgent, observations: Float32Array, masks: Uint8Array, episodeStarts: Uint8Array): Buffer {
  const count = episodeStarts.length;
  const obs = agent.observationSize;
  const A = agent.actionCount;
  const record = 1 + A + 4 * obs;
  const out = Buffer.alloc(count * record);
  for (let k = 0; k < count; k++) {
    const at = k * record;
    out[at] = episodeStarts[k];
    out.set(masks.subarray(k * A, (k + 1) * A), at + 1);
    const o = observations.subarray(k * obs, (k + 1) * obs);
    out.set(new Uint8Array(o.buffer, o.byteOffset, o.byteLength), at + 1 + A);
  }
  return out;
}
