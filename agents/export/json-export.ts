import type { ExportAgent } from './export-agent.ts';
import type { QuantizedDense } from './quantize.ts';

export const JSON_EXPORT_FORMAT = 'kdmarl-export';
export const JSON_EXPORT_VERSION = 1;

/**
 * One agent's policy as plain JSON (schema in docs/export.md): sizes, view, agent-id one-hot and
 * each layer with its weights as nested arrays (weight[i][j], input i to output j, so y = x @ W + b
 * in numpy). Values are the shortest decimals that read back as the same float32.
 */
export function jsonExport(agent: ExportAgent, about: Record<string, string>, quantized?: Map<number, QuantizedDense>): string {
  const layers = agent.net.layers.map((layer, l) => {
    if (layer.kind === 'layernorm') return { kind: 'layernorm', size: layer.size, epsilon: layer.epsilon, gamma: list(layer.gamma), beta: list(layer.beta) };
    if (layer.kind === 'gru') {
      const h3 = 3 * layer.hiddenSize;
      return { kind: 'gru', inputSize: layer.inputSize, hiddenSize: layer.hiddenSize, gateOrder: ['r', 'z', 'n'], wx: rows(layer.wx, layer.inputSize, h3), wh: rows(layer.wh, layer.hiddenSize, h3), bx: list(layer.bx), bh: list(layer.bh) };
    }
    const q = quantized?.get(l);
    const common = { kind: 'dense', inputSize: layer.inputSize, outputSize: layer.outputSize, activation: layer.activation };
    return q
      ? { ...common, weightInt8: rows(q.q, layer.inputSize, layer.outputSize), weightScale: list(q.scale), bias: list(layer.bias) }
      : { ...common, weight: rows(layer.weight, layer.inputSize, layer.outputSize), bias: list(layer.bias) };
  });
  return JSON.stringify({
    format: JSON_EXPORT_FORMAT,
    version: JSON_EXPORT_VERSION,
    agent: agent.agent,
    ...about,
    view: agent.view,
    observationSize: agent.observationSize,
    actionCount: agent.actionCount,
    inputSize: agent.net.inputSize,
    agentId: agent.agentId ?? null,
    recurrent: agent.recurrent,
    flops: agent.flops,
    quantized: quantized ? 'int8' : null,
    layers,
  });
}

function short(x: number): number {
  for (let digits = 6; digits < 9; digits++) {
    const s = Number(x.toPrecision(digits));
    if (Math.fround(s) === x) return s;
  }
  return Number(x.toPrecision(9));
}

function list(values: ArrayLike<number>): number[] {
  return Array.from(values, short);
}

function rows(values: ArrayLike<number>, nRows: number, nCols: number): number[][] {
  return Array.from({ length: nRows }, (_, i) => list(Array.prototype.slice.call(values, i * nCols, (i + 1) * nCols) as number[]));
}
