import { layerOutputSize, type PolicyFile, type PolicyNet } from '../../shared/model-format.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import { netFlops } from '../../shared/flops.ts';

/** One agent of a policy file as every export sees it: its net, the input it is fed and what it outputs. */
export type ExportAgent = {
  /** The agent's name in the policy file. */
  agent: string;
  /** The name made safe for C identifiers and file names: [a-z0-9_], not starting with a digit. */
  ident: string;
  netName: string;
  net: PolicyNet;
  /** The view the observation is taken through (the server applies it; `{}` is the full observation). */
  view: ViewSpec;
  /** The constant one-hot appended after the observation when the net is shared by several agents. */
  agentId?: { index: number; size: number };
  observationSize: number;
  actionCount: number;
  flops: number;
  recurrent: boolean;
};

/** The agents to export: all of them, or the one named (an unknown name lists the agents there are). */
export function exportAgents(file: PolicyFile, where: string, only?: string): ExportAgent[] {
  const names = Object.keys(file.agents);
  if (only !== undefined && !Object.hasOwn(file.agents, only)) {
    throw new Error(`--agent: ${where} has no agent '${only}' (its agents: ${names.join(', ')})`);
  }
  const idents = new Set<string>();
  return (only !== undefined ? [only] : names).map((agent) => {
    const spec = file.agents[agent];
    const net = file.nets[spec.net];
    const ident = identifier(agent);
    if (idents.has(ident)) throw new Error(`${where}: agents' names collide once made C-safe ('${ident}'); export them one at a time with --agent and different --out folders`);
    idents.add(ident);
    const idSize = spec.agentId?.size ?? 0;
    return {
      agent,
      ident,
      netName: spec.net,
      net,
      view: spec.view,
      ...(spec.agentId ? { agentId: spec.agentId } : {}),
      observationSize: net.inputSize - idSize,
      actionCount: layerOutputSize(net.layers[net.layers.length - 1]),
      flops: netFlops(net),
      recurrent: net.layers.some((l) => l.kind === 'gru'),
    };
  });
}

export function identifier(name: string): string {
  const safe = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[0-9]/.test(safe) || safe === '' ? `a_${safe}` : safe;
}

/** Where a net's GRU layers are, for refusals that name the agent. */
export function gruLayerIndexes(net: PolicyNet): number[] {
  return net.layers.flatMap((l, i) => (l.kind === 'gru' ? [i] : []));
}
