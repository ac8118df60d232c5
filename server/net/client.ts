import type { WebSocket } from 'ws';
import type { Role, SupervisorStepFrame } from '../../shared/protocol.ts';
import type { CapsEnforcement } from '../../shared/session-messages.ts';

/** Messages per second with a burst allowance; refilled lazily on each message. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perMs: number;

  constructor(rate: { burst: number; perSecond: number }, now: number) {
    this.burst = rate.burst;
    this.tokens = rate.burst;
    this.perMs = rate.perSecond / 1000;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One socket on the server side, whatever its role; role-specific fields are set after the hello. */
export class ServerClient {
  readonly id: number;
  readonly ws: WebSocket;
  readonly path: string;
  readonly remote: string;
  role: Role | null = null;
  bucket: TokenBucket | null = null;
  /** Answered the last ping (heartbeat). */
  alive = true;
  closed = false;
  handshakeTimer: NodeJS.Timeout | null = null;
  /** Largest frame this client may send once its role is known. */
  frameLimit = 4096;

  // --- agent connections ---
  /** Agent indices this connection holds, in hello order. */
  slots: number[] = [];
  /** Observation frame parts (views into the server's buffers when the slots are contiguous). */
  observations: Float32Array = new Float32Array(0);
  masks: Uint8Array = new Uint8Array(0);
  /** Per held slot: offsets into the server's observation buffer and its size (non-contiguous copy). */
  copyPlan: { from: number; size: number; maskFrom: number; maskSize: number }[] | null = null;
  frame: [number, number, number, number, Float32Array, Uint8Array] | null = null;
  /** When this tick's observation was sent (ms, performance.now). */
  sentAt = 0;
  /** Weights pushes awaiting an ack: id -> slots. */
  readonly pendingWeights = new Map<number, number[]>();
  rssMb = 0;
  heapMb = 0;
  /** How this agent process's cpu and memory caps hold (its reports say). */
  enforcement: CapsEnforcement | null = null;
  /** Length of the optional distributions element of this connection's action frames (its slots' action counts). */
  distributionCount = 0;
  /** Whether this connection was last asked to send action distributions. */
  distributionsOn = false;

  // --- spectators ---
  control = false;
  snapshotIntervalMs = 50;
  lastSnapshotAt = 0;
  skippedSnapshots = 0;
  /** Shows the graph or role overlay (the server then computes relations and roles). */
  overlays = false;
  /** Shows every agent's lidar (snapshots then carry all scans). */
  lidarAll = false;
  /** Agent last inspected (-1 none) and when (performance.now); an inspection lapses when not renewed. */
  inspecting = -1;
  inspectedAt = 0;

  // --- supervisors ---
  teacherObservations = true;
  droppedSteps = 0;
  stepFrame: SupervisorStepFrame | null = null;

  constructor(id: number, ws: WebSocket, path: string, remote: string) {
    this.id = id;
    this.ws = ws;
    this.path = path;
    this.remote = remote;
  }
}
