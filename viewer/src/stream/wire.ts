import { createPackr } from '../../../shared/codec.ts';
import { REPLAY_FORMAT, type LidarReading, type ReplayHeader, type SceneAgent, type SceneMessage, type SnapshotMessage } from '../../../shared/protocol.ts';
import type { EntityInfo, EntityShape } from '../../../shared/entity-info.ts';

/**
 * Decoding and checking what arrives from the server or a replay file. The viewer never trusts a
 * frame: a message whose sizes disagree with its scene is rejected with a message naming the
 * field, so a bad frame shows an error instead of a half-drawn world.
 */
const packr = createPackr();

export function decodeFrame(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

export function encodeFrame(value: unknown): Uint8Array {
  return packr.pack(value);
}

export class WireError extends Error {}

function fail(where: string, what: string): never {
  throw new WireError(`${where}: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, `expected a finite number, got ${describe(value)}`);
  return value;
}

function str(where: string, value: unknown): string {
  if (typeof value !== 'string') fail(where, `expected a string, got ${describe(value)}`);
  return value;
}

function strings(where: string, value: unknown): string[] {
  if (!Array.isArray(value)) fail(where, `expected an array of strings, got ${describe(value)}`);
  return value.map((v, i) => str(`${where}[${i}]`, v));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  return typeof value;
}

type TypedArrayCtor<T> = { new (length: number): T; from(values: ArrayLike<number>): T; name: string };

/** Accepts the typed array the codec produces, or a plain number array (a hand-written fixture). */
function typed<T extends ArrayLike<number>>(where: string, value: unknown, ctor: TypedArrayCtor<T>, length: number): T {
  let out: T;
  if (value instanceof (ctor as unknown as abstract new (...args: never[]) => unknown)) out = value as T;
  else if (Array.isArray(value) || ArrayBuffer.isView(value)) out = ctor.from(value as ArrayLike<number>);
  else fail(where, `expected ${ctor.name}(${length}), got ${describe(value)}`);
  if (out.length !== length) fail(where, `expected length ${length}, got ${out.length}`);
  return out;
}

function pairs(where: string, value: unknown, entityCount: number): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) fail(where, `expected entity index pairs, got ${describe(value)}`);
  const list = Array.from(value as ArrayLike<number>);
  if (list.length % 2 !== 0) fail(where, `odd length ${list.length}: expected [src, dst, ...] pairs`);
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (!Number.isInteger(e) || e < 0 || e >= entityCount) fail(`${where}[${i}]`, `entity index ${e} outside 0..${entityCount - 1}`);
  }
  return list;
}

export function parseScene(value: unknown, where = 'scene'): SceneMessage {
  if (!isObject(value) || value['kind'] !== 'scene') fail(where, `expected a scene message, got ${describe(value)}`);
  const bounds = value['bounds'];
  if (!Array.isArray(bounds) || bounds.length !== 4) fail(`${where}.bounds`, 'expected [minX, minY, maxX, maxY]');
  const b = bounds.map((v, i) => num(`${where}.bounds[${i}]`, v)) as [number, number, number, number];
  if (!(b[2] > b[0] && b[3] > b[1])) fail(`${where}.bounds`, `empty box ${JSON.stringify(b)}`);
  const rawEntities = value['entities'];
  if (!Array.isArray(rawEntities)) fail(`${where}.entities`, `expected an array, got ${describe(rawEntities)}`);
  const entities: EntityInfo[] = rawEntities.map((e, i) => {
    const w = `${where}.entities[${i}]`;
    if (!isObject(e)) fail(w, `expected an object, got ${describe(e)}`);
    const color = e['color'];
    let rgb: [number, number, number] | null = null;
    if (Array.isArray(color) && color.length === 3) rgb = color.map((c, k) => num(`${w}.color[${k}]`, c)) as [number, number, number];
    else if (color !== null && color !== undefined) fail(`${w}.color`, 'expected [r, g, b] or null');
    const radius = num(`${w}.radius`, e['radius']);
    if (radius < 0) fail(`${w}.radius`, `negative radius ${radius}`);
    return {
      name: str(`${w}.name`, e['name']),
      kind: str(`${w}.kind`, e['kind']),
      team: num(`${w}.team`, e['team']),
      type: str(`${w}.type`, e['type']),
      radius,
      agent: num(`${w}.agent`, e['agent']),
      color: rgb,
      ...(e['shape'] == null ? {} : { shape: parseShape(`${w}.shape`, e['shape']) }),
    };
  });
  const rawAgents = value['agents'];
  if (!Array.isArray(rawAgents)) fail(`${where}.agents`, `expected an array, got ${describe(rawAgents)}`);
  const agents: SceneAgent[] = rawAgents.map((a, i) => {
    const w = `${where}.agents[${i}]`;
    if (!isObject(a)) fail(w, `expected an object, got ${describe(a)}`);
    const entity = num(`${w}.entity`, a['entity']);
    if (!Number.isInteger(entity) || entity < 0 || entity >= entities.length) fail(`${w}.entity`, `entity index ${entity} outside 0..${entities.length - 1}`);
    return {
      name: str(`${w}.name`, a['name']),
      entity,
      actionCount: num(`${w}.actionCount`, a['actionCount']),
      actionNames: strings(`${w}.actionNames`, a['actionNames'] ?? []),
      teacherLabels: strings(`${w}.teacherLabels`, a['teacherLabels'] ?? []),
      studentLabels: strings(`${w}.studentLabels`, a['studentLabels'] ?? []),
      sightRange: num(`${w}.sightRange`, a['sightRange'] ?? 0),
      attackRange: num(`${w}.attackRange`, a['attackRange'] ?? 0),
    };
  });
  return {
    kind: 'scene',
    scenario: str(`${where}.scenario`, value['scenario']),
    family: str(`${where}.family`, value['family']),
    bounds: b,
    dt: num(`${where}.dt`, value['dt']),
    maxSteps: num(`${where}.maxSteps`, value['maxSteps']),
    entities,
    agents,
  };
}

function positive(where: string, value: unknown): number {
  const n = num(where, value);
  if (!(n > 0)) fail(where, `expected a positive size, got ${n}`);
  return n;
}

function parseShape(where: string, value: unknown): EntityShape {
  if (!isObject(value)) fail(where, `expected a shape object, got ${describe(value)}`);
  const kind = value['kind'];
  if (kind === 'sphere') return { kind };
  if (kind === 'box') return { kind, length: positive(`${where}.length`, value['length']), width: positive(`${where}.width`, value['width']) };
  if (kind === 'line') return { kind, length: positive(`${where}.length`, value['length']) };
  return fail(`${where}.kind`, `expected 'sphere', 'box' or 'line', got ${describe(kind)}`);
}

/** Lidar scans: agents in range, a positive range, and finite non-negative distances. */
function lidarReadings(where: string, value: unknown, agentCount: number): LidarReading[] {
  if (value == null) return [];
  if (!Array.isArray(value)) fail(where, `expected an array of scans, got ${describe(value)}`);
  return value.map((scan, i) => {
    const w = `${where}[${i}]`;
    if (!isObject(scan)) fail(w, `expected an object, got ${describe(scan)}`);
    const agent = num(`${w}.agent`, scan['agent']);
    if (!Number.isInteger(agent) || agent < 0 || agent >= agentCount) fail(`${w}.agent`, `agent index ${agent} outside 0..${agentCount - 1}`);
    const raw = scan['readings'];
    const length = Array.isArray(raw) || ArrayBuffer.isView(raw) ? (raw as ArrayLike<number>).length : 0;
    if (length === 0) fail(`${w}.readings`, `expected distances, got ${describe(raw)}`);
    const readings = typed(`${w}.readings`, raw, Float32Array, length);
    for (let j = 0; j < readings.length; j++) if (!(readings[j]! >= 0) || !Number.isFinite(readings[j])) fail(`${w}.readings[${j}]`, `expected a distance >= 0, got ${readings[j]}`);
    return { agent, range: positive(`${w}.range`, scan['range']), readings };
  });
}

/** SnapshotMessage's optional method structure (coordination graph and roles), checked against the scene. */
export type SnapshotExtras = {
  /** Row-major agents × agents relation weights (the coordination graph), or absent. */
  relations: Float32Array | null;
  /** Role index per agent, or absent. */
  roles: Int32Array | null;
  roleNames: string[];
  /** Every agent's action distribution the structure came from (agent order, actionCount each), or absent. */
  probabilities: Float32Array | null;
  /** Per entity, radians counter-clockwise from +x (robot worlds), or absent. */
  rotations: Float32Array | null;
  /** Scans of the agents the server sent them for (the inspected one, or all with the toggle). */
  lidar: LidarReading[];
};

export type Snapshot = SnapshotMessage & { extras: SnapshotExtras };

export function parseSnapshot(value: unknown, scene: SceneMessage, where = 'snapshot'): Snapshot {
  if (!isObject(value) || value['kind'] !== 'snap') fail(where, `expected a snapshot message, got ${describe(value)}`);
  const e = scene.entities.length;
  const n = scene.agents.length;
  const score = value['score'];
  if (!isObject(score)) fail(`${where}.score`, `expected an object, got ${describe(score)}`);
  const agents = value['agents'];
  if (!isObject(agents)) fail(`${where}.agents`, `expected an object, got ${describe(agents)}`);
  const relations = value['relations'];
  const roles = value['roles'];
  const probabilities = value['probabilities'];
  return {
    kind: 'snap',
    tick: num(`${where}.tick`, value['tick']),
    episode: num(`${where}.episode`, value['episode']),
    t: num(`${where}.t`, value['t']),
    time: num(`${where}.time`, value['time']),
    positions: typed(`${where}.positions`, value['positions'], Float32Array, 2 * e),
    velocities: typed(`${where}.velocities`, value['velocities'], Float32Array, 2 * e),
    health: typed(`${where}.health`, value['health'], Float32Array, e),
    shield: typed(`${where}.shield`, value['shield'], Float32Array, e),
    alive: typed(`${where}.alive`, value['alive'], Uint8Array, e),
    attacks: pairs(`${where}.attacks`, value['attacks'], e),
    heals: pairs(`${where}.heals`, value['heals'], e),
    score: {
      episodes: num(`${where}.score.episodes`, score['episodes'] ?? 0),
      wins: num(`${where}.score.wins`, score['wins'] ?? 0),
      losses: num(`${where}.score.losses`, score['losses'] ?? 0),
      lastReturn: num(`${where}.score.lastReturn`, score['lastReturn'] ?? 0),
      meanReturn: num(`${where}.score.meanReturn`, score['meanReturn'] ?? 0),
    },
    tickRate: num(`${where}.tickRate`, value['tickRate'] ?? 0),
    paused: value['paused'] === true,
    agents: {
      connected: typed(`${where}.agents.connected`, agents['connected'], Uint8Array, n),
      lastAction: typed(`${where}.agents.lastAction`, agents['lastAction'], Int16Array, n),
      latencyMs: typed(`${where}.agents.latencyMs`, agents['latencyMs'], Float32Array, n),
      misses: typed(`${where}.agents.misses`, agents['misses'], Int32Array, n),
      flops: typed(`${where}.agents.flops`, agents['flops'], Float64Array, n),
    },
    extras: {
      relations: relations == null ? null : typed(`${where}.relations`, relations, Float32Array, n * n),
      roles: roles == null ? null : typed(`${where}.roles`, roles, Int32Array, n),
      roleNames: value['roleNames'] == null ? [] : strings(`${where}.roleNames`, value['roleNames']),
      probabilities: probabilities == null ? null : typed(`${where}.probabilities`, probabilities, Float32Array, actionTotal(scene)),
      rotations: value['rotations'] == null ? null : typed(`${where}.rotations`, value['rotations'], Float32Array, e),
      lidar: lidarReadings(`${where}.lidar`, value['lidar'], n),
    },
  };
}

function actionTotal(scene: SceneMessage): number {
  let total = 0;
  for (const agent of scene.agents) total += agent.actionCount;
  return total;
}

export type Replay = {
  header: ReplayHeader;
  scene: SceneMessage;
  snapshots: Snapshot[];
  /** Set when the file ends inside a value (a recorder killed mid-write): what was cut off. */
  truncated: string | null;
};

/**
 * A replay file: a ReplayHeader then snapshot messages. Throws a WireError naming what is wrong;
 * a file cut off mid-value still plays the complete snapshots before the cut.
 */
export function parseReplay(bytes: Uint8Array, name = 'replay'): Replay {
  if (bytes.length === 0) fail(name, 'empty file');
  const values: unknown[] = [];
  let truncated: string | null = null;
  let consumed = 0;
  try {
    packr.unpackMultiple(bytes, (value: unknown, _start?: number, end?: number) => {
      values.push(value);
      if (end !== undefined) consumed = end;
    });
  } catch (error) {
    if (values.length < 2) fail(name, `not a msgpack stream (${(error as Error).message})`);
    truncated = `unreadable after byte ${consumed} of ${bytes.length} (${(error as Error).message}); playing the ${values.length - 1} complete snapshots`;
  }
  const header = values[0];
  if (!isObject(header) || header['kind'] !== 'replay') fail(name, `first value is not a replay header (got ${describe(header)})`);
  if (header['format'] !== REPLAY_FORMAT) fail(name, `format '${String(header['format'])}', expected '${REPLAY_FORMAT}'`);
  const scene = parseScene(header['scene'], `${name}: header.scene`);
  const snapshots: Snapshot[] = [];
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    // A scenario switch mid-recording would need a second scene; the recorder writes one file per scene.
    snapshots.push(parseSnapshot(value, scene, `${name}: value ${i}`));
  }
  if (snapshots.length === 0) fail(name, 'no snapshots after the header');
  return { header: header as ReplayHeader, scene, snapshots, truncated };
}
