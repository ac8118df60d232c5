import { layerOutputSize } from '../../shared/model-format.ts';
import type { ExportAgent } from './export-agent.ts';
import type { QuantizedDense } from './quantize.ts';

export type CExport = { header: string; source: string; footprint: CFootprint };

/** What one agent costs on a device: constant data, stack scratch per decision, FLOPs per decision. */
export type CFootprint = { weightBytes: number; scratchBytes: number; scratchBytesSinglePrecision: number; flops: number };

/**
 * One agent's policy as a C99 pair. The arithmetic is the typed-array runtime's, step for step:
 * float storage, sums and norms in double (or float with -DKDMARL_SINGLE_PRECISION, for FPUs
 * without double), zero inputs skipped, so the default build gives the runtime's logits to the bit
 * wherever libm's tanh/exp agree with V8's. Scratch lives on the stack; a GRU's state is the
 * caller's (a struct the header declares); nothing is allocated and no global changes.
 */
export function cExport(agent: ExportAgent, about: string[], quantized?: Map<number, QuantizedDense>): CExport {
  const p = `kdmarl_${agent.ident}`;
  const P = p.toUpperCase();
  const layers = agent.net.layers;
  const used = new Set<string>();
  const data: string[] = [];
  const body: string[] = [];
  const stateFields: string[] = [];
  let weightBytes = 0;
  const floats = (name: string, values: ArrayLike<number>): string => {
    weightBytes += 4 * values.length;
    data.push(`static const float ${name}[${values.length}] = {${wrap(Array.from(values, cFloat))}};`);
    return name;
  };

  // Ping-pong between two stack buffers; the observation is read in place unless an agent id is appended.
  const widths = layers.map(layerOutputSize);
  const maxWidth = Math.max(agent.net.inputSize, ...widths.slice(0, -1));
  const scratch = new Set<string>();
  let x = 'observation';
  if (agent.agentId) {
    scratch.add('s0');
    x = 's0';
    body.push(`for (i = 0; i < ${agent.observationSize}; i++) s0[i] = observation[i];`);
    body.push(`for (i = ${agent.observationSize}; i < ${agent.net.inputSize}; i++) s0[i] = 0.0f;`);
    body.push(`s0[${agent.observationSize + agent.agentId.index}] = 1.0f;`);
  }
  let maxGru = 0;
  let maxQuantOut = 0;
  layers.forEach((layer, l) => {
    const y = l === layers.length - 1 ? 'logits' : x === 's0' ? 's1' : 's0';
    if (y !== 'logits') scratch.add(y);
    if (layer.kind === 'layernorm') {
      used.add('layernorm').add('sqrt');
      const g = floats(`l${l}_gamma`, layer.gamma);
      const b = floats(`l${l}_beta`, layer.beta);
      body.push(`layernorm(${x}, ${layer.size}, ${cDouble(layer.epsilon)}, ${g}, ${b}, ${y});`);
    } else if (layer.kind === 'dense') {
      const q = quantized?.get(l);
      const b = floats(`l${l}_bias`, layer.bias);
      if (q) {
        used.add('dense_q8');
        weightBytes += q.q.length;
        data.push(`static const signed char l${l}_weight[${q.q.length}] = {${wrap(Array.from(q.q, String))}};`);
        const s = floats(`l${l}_scale`, q.scale);
        maxQuantOut = Math.max(maxQuantOut, layer.outputSize);
        body.push(`dense_q8(${x}, ${layer.inputSize}, l${l}_weight, ${s}, ${b}, ${layer.outputSize}, acc, ${y});`);
      } else {
        used.add('dense');
        const w = floats(`l${l}_weight`, layer.weight);
        body.push(`dense(${x}, ${layer.inputSize}, ${w}, ${b}, ${layer.outputSize}, ${y});`);
      }
      if (layer.activation !== 'linear') {
        used.add(layer.activation);
        if (layer.activation === 'tanh') used.add('tanh_fn');
        body.push(`${layer.activation === 'relu' ? 'relu' : 'tanh_all'}(${y}, ${layer.outputSize});`);
      }
    } else {
      used.add('gru').add('dense').add('tanh_fn').add('exp');
      const H = layer.hiddenSize;
      maxGru = Math.max(maxGru, H);
      stateFields.push(`  float h${l}[${H}];`);
      const names = ['wx', 'bx', 'wh', 'bh'].map((k) => floats(`l${l}_${k}`, layer[k as 'wx' | 'bx' | 'wh' | 'bh']));
      body.push(`gru(${x}, ${layer.inputSize}, ${names.join(', ')}, ${H}, state->h${l}, gx, gh, ${y});`);
      body.push(`for (i = 0; i < ${H}; i++) state->h${l}[i] = ${y}[i];`);
    }
    x = y;
  });

  const recurrent = stateFields.length > 0;
  const locals = ['int i;', 'int best = -1;', 'float best_value = 0.0f;'];
  for (const s of [...scratch].sort()) locals.push(`float ${s}[${maxWidth}];`);
  if (maxGru) locals.push(`float gx[${3 * maxGru}];`, `float gh[${3 * maxGru}];`);
  if (maxQuantOut) locals.push(`kdmarl_real acc[${maxQuantOut}];`);
  const floatScratch = 4 * (scratch.size * maxWidth + 6 * maxGru);
  const footprint: CFootprint = { weightBytes, scratchBytes: floatScratch + 8 * maxQuantOut, scratchBytesSinglePrecision: floatScratch + 4 * maxQuantOut, flops: agent.flops };

  const stateArg = recurrent ? `${p}_state *state, ` : '';
  const decideDecl = `int ${p}_decide(${stateArg}const float *observation, const unsigned char *mask, float *logits)`;
  const header = [
    `/* ${p}.h: ${about.map(commentSafe).join('\n * ')}`,
    ` *`,
    ` * ${decideDecl.replace(/\(.*/, '')}: logits[${agent.actionCount}] for one observation[${agent.observationSize}] and`,
    ` * returns the action: the first highest logit among actions with mask[a] == 1 (mask may be NULL:`,
    ` * all allowed), 0 when none is allowed. Stack use: ${footprint.scratchBytes} bytes; no malloc, no globals that change.${recurrent ? `\n * Recurrent: the caller keeps one ${p}_state per agent and calls ${p}_reset at each episode start.` : ''}`,
    ` */`,
    `#ifndef ${P}_H`,
    `#define ${P}_H`,
    ``,
    `#define ${P}_OBSERVATION_SIZE ${agent.observationSize}`,
    `#define ${P}_ACTION_COUNT ${agent.actionCount}`,
    `#define ${P}_FLOPS ${agent.flops}`,
    ``,
    `#ifdef __cplusplus`,
    `extern "C" {`,
    `#endif`,
    ...(recurrent ? [``, `typedef struct {`, ...stateFields, `} ${p}_state;`, ``, `void ${p}_reset(${p}_state *state);`] : []),
    ``,
    `${decideDecl};`,
    ``,
    `#ifdef __cplusplus`,
    `}`,
    `#endif`,
    ``,
    `#endif`,
    ``,
  ].join('\n');

  const source = [
    `/* ${p}.c: generated by kdmarl export; see ${p}.h. */`,
    `#include "${agent.ident}.h"`,
    ...(used.has('tanh_fn') || used.has('exp') || used.has('sqrt') ? ['#include <math.h>'] : []),
    ``,
    ...precision(used),
    ``,
    ...data,
    ``,
    ...HELPERS.filter(([name]) => used.has(name)).map(([, code]) => code),
    ...(recurrent ? [`void ${p}_reset(${p}_state *state) {`, ...layers.flatMap((l, i) => (l.kind === 'gru' ? [`  int i${i};`] : [])), ...layers.flatMap((l, i) => (l.kind === 'gru' ? [`  for (i${i} = 0; i${i} < ${l.hiddenSize}; i${i}++) state->h${i}[i${i}] = 0.0f;`] : [])), `}`, ``] : []),
    `${decideDecl} {`,
    ...locals.map((s) => `  ${s}`),
    ...body.map((s) => `  ${s}`),
    `  for (i = 0; i < ${agent.actionCount}; i++) {`,
    `    if (mask != 0 && mask[i] != 1) continue;`,
    `    if (best < 0 || logits[i] > best_value) {`,
    `      best = i;`,
    `      best_value = logits[i];`,
    `    }`,
    `  }`,
    `  return best < 0 ? 0 : best;`,
    `}`,
    ``,
  ].join('\n');
  return { header, source, footprint };
}

function precision(used: Set<string>): string[] {
  const fn = (name: string, c: string): string[] => (used.has(name) ? [`#define KDMARL_${c.toUpperCase()} ${c}`] : []);
  const fnf = (name: string, c: string): string[] => (used.has(name) ? [`#define KDMARL_${c.toUpperCase()} ${c}f`] : []);
  return [
    '/* Sums and norms in double as the runtime computes them; -DKDMARL_SINGLE_PRECISION for float-only FPUs (logits then differ in the last bits). */',
    '#ifdef KDMARL_SINGLE_PRECISION',
    'typedef float kdmarl_real;',
    ...fnf('tanh_fn', 'tanh'), ...fnf('exp', 'exp'), ...fnf('sqrt', 'sqrt'),
    '#else',
    'typedef double kdmarl_real;',
    ...fn('tanh_fn', 'tanh'), ...fn('exp', 'exp'), ...fn('sqrt', 'sqrt'),
    '#endif',
  ];
}

const HELPERS: [string, string][] = [
  ['dense', `/* y = x W + b, W row-major [n_in][n_out]; each product added in kdmarl_real and rounded to float, as the runtime does. */
static void dense(const float *x, int n_in, const float *w, const float *b, int n_out, float *y) {
  int i, j;
  for (j = 0; j < n_out; j++) y[j] = b[j];
  for (i = 0; i < n_in; i++) {
    const kdmarl_real xi = x[i];
    const float *row = w + i * n_out;
    if (x[i] == 0.0f) continue;
    for (j = 0; j < n_out; j++) y[j] = (float)((kdmarl_real)y[j] + xi * (kdmarl_real)row[j]);
  }
}
`],
  ['dense_q8', `/* y = b + scale * (x q): int8 weights with one float scale per output, sums in kdmarl_real. */
static void dense_q8(const float *x, int n_in, const signed char *q, const float *scale, const float *b, int n_out, kdmarl_real *acc, float *y) {
  int i, j;
  for (j = 0; j < n_out; j++) acc[j] = 0;
  for (i = 0; i < n_in; i++) {
    const kdmarl_real xi = x[i];
    const signed char *row = q + i * n_out;
    if (x[i] == 0.0f) continue;
    for (j = 0; j < n_out; j++) acc[j] += xi * (kdmarl_real)row[j];
  }
  for (j = 0; j < n_out; j++) y[j] = (float)((kdmarl_real)b[j] + (kdmarl_real)scale[j] * acc[j]);
}
`],
  ['relu', `static void relu(float *y, int n) {
  int j;
  for (j = 0; j < n; j++) if (y[j] < 0.0f) y[j] = 0.0f;
}
`],
  ['tanh', `static void tanh_all(float *y, int n) {
  int j;
  for (j = 0; j < n; j++) y[j] = (float)KDMARL_TANH((kdmarl_real)y[j]);
}
`],
  ['layernorm', `static void layernorm(const float *x, int n, kdmarl_real epsilon, const float *gamma, const float *beta, float *y) {
  int i;
  kdmarl_real mean = 0, variance = 0, inv;
  for (i = 0; i < n; i++) mean += x[i];
  mean /= n;
  for (i = 0; i < n; i++) {
    const kdmarl_real d = x[i] - mean;
    variance += d * d;
  }
  variance /= n;
  inv = 1 / KDMARL_SQRT(variance + epsilon);
  for (i = 0; i < n; i++) y[i] = (float)((x[i] - mean) * inv * gamma[i] + beta[i]);
}
`],
  ['gru', `/* One GRU step, PyTorch gate order r, z, n: out = (1 - z) * n + z * h. */
static void gru(const float *x, int n_in, const float *wx, const float *bx, const float *wh, const float *bh, int hidden, const float *h, float *gx, float *gh, float *out) {
  int j;
  dense(x, n_in, wx, bx, 3 * hidden, gx);
  dense(h, hidden, wh, bh, 3 * hidden, gh);
  for (j = 0; j < hidden; j++) {
    const kdmarl_real r = 1 / (1 + KDMARL_EXP(-((kdmarl_real)gx[j] + gh[j])));
    const kdmarl_real z = 1 / (1 + KDMARL_EXP(-((kdmarl_real)gx[hidden + j] + gh[hidden + j])));
    const kdmarl_real n = KDMARL_TANH((kdmarl_real)gx[2 * hidden + j] + r * gh[2 * hidden + j]);
    out[j] = (float)((1 - z) * n + z * h[j]);
  }
}
`],
];

/** Shortest decimal that reads back as the same float32 (9 significant digits always do). */
export function cFloat(x: number): string {
  if (Object.is(x, -0)) return '-0.0f';
  if (x === 0) return '0.0f';
  for (let digits = 6; digits <= 9; digits++) {
    const s = x.toPrecision(digits);
    if (Math.fround(Number(s)) === x) return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`.replace(/^(-?\d+)e/, '$1.0e');
  }
  throw new Error(`cannot write ${x} as a float literal`);
}

/** JS prints the shortest decimal that reads back as the same double. */
function cDouble(x: number): string {
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function wrap(values: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 8) lines.push(`  ${values.slice(i, i + 8).join(', ')}`);
  return `\n${lines.join(',\n')}\n`;
}

function commentSafe(line: string): string {
  return line.replaceAll('*/', '* /');
}
