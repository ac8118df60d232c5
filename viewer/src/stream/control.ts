/**
 * Messages the viewer sends besides its hello: run controls (authorised by the launcher's control
 * token) and inspection requests. Kept in one place so the shapes follow `shared/protocol.ts`.
 */
export type ControlAction = 'pause' | 'resume' | 'step' | 'reset' | 'speed' | 'scenario';

export function controlMessage(token: string, action: ControlAction, value?: number | string): Record<string, unknown> {
  const message: Record<string, unknown> = { kind: 'control', token, action };
  if (value !== undefined) message['value'] = value;
  return message;
}

export function inspectMessage(agent: number): Record<string, unknown> {
  return { kind: 'inspect', agent };
}

/**
 * Which overlays this viewer shows: the server computes relations and roles only while some viewer
 * shows them, and sends every robot's lidar only while one shows all lidar.
 */
export function overlaysMessage(graph: boolean, roles: boolean, lidar: boolean): Record<string, unknown> {
  return { kind: 'overlays', graph, roles, lidar };
}
