import type { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { FRAME } from '../../shared/protocol.ts';
import type { Rng } from '../../shared/rng.ts';
import type { FaultOptions } from './agent-client-options.ts';

type ActionFrame = [number, number, Int16Array] | [number, number, Int16Array, Float32Array];

/**
 * The action frames of one agent connection: one per tick for all its slots, or one per slot
 * answered late (its cpu-share or test delay) with the others at -1; the slots' action
 * distributions appended while the server asks for them. Optional faults (loss, latency, jitter)
 * stand in for a bad network.
 */
export class ActionSender {
  /** The server asked this connection for its action distributions. */
  withDistributions = false;
  /** The shared frame's actions, one per slot in hello order, written by the caller before `sendShared`. */
  readonly actions: Int16Array;
  private readonly reply: [number, number, Int16Array];
  private readonly partial: [number, number, Int16Array];
  private readonly replyWithDistributions: [number, number, Int16Array, Float32Array];
  private readonly partialWithDistributions: [number, number, Int16Array, Float32Array];
  private readonly packr: Packr;
  private readonly rng: Rng;
  private readonly faults: FaultOptions | undefined;
  private readonly socket: () => WebSocket | null;

  /** `socket`: the connection open now, if any. */
  constructor(slotCount: number, packr: Packr, rng: Rng, faults: FaultOptions | undefined, socket: () => WebSocket | null) {
    this.packr = packr;
    this.rng = rng;
    this.faults = faults;
    this.socket = socket;
    this.reply = [FRAME.act, 0, new Int16Array(slotCount)];
    this.partial = [FRAME.act, 0, new Int16Array(slotCount)];
    this.actions = this.reply[2];
    // The distributions buffer is sized at the welcome (the slots' action counts).
    this.replyWithDistributions = [FRAME.act, 0, this.reply[2], new Float32Array(0)];
    this.partialWithDistributions = [FRAME.act, 0, this.partial[2], new Float32Array(0)];
  }

  /** Room for every slot's distribution: the sum of their action counts. */
  sizeDistributions(total: number): void {
    const distributions = new Float32Array(total);
    this.replyWithDistributions[3] = distributions;
    this.partialWithDistributions[3] = distributions;
  }

  /** Where this tick's distributions go (laid out like the masks), or null while the server does not ask. */
  distributions(): Float32Array | null {
    return this.withDistributions ? this.replyWithDistributions[3] : null;
  }

  /** The shared frame: `actions` (-1 for the slots answering later) for round `request`. */
  sendShared(request: number): void {
    this.send(this.withDistributions ? this.replyWithDistributions : this.reply, request);
  }

  /** One slot's answer after its cpu-share (or test) delay, alone in its frame. */
  sendLater(request: number, k: number, action: number, delayMs: number): void {
    setTimeout(() => {
      const frame = this.withDistributions ? this.partialWithDistributions : this.partial;
      frame[2].fill(-1);
      frame[2][k] = action;
      this.send(frame, request);
    }, delayMs);
  }

  private send(frame: ActionFrame, request: number): void {
    frame[1] = request;
    const faults = this.faults;
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (!faults) {
      ws.send(this.packr.pack(frame));
      return;
    }
    if (faults.drop > 0 && this.rng.uniform() < faults.drop) return;
    const bytes = this.packr.pack(frame);
    const delay = faults.latencyMs + faults.jitterMs * this.rng.uniform();
    if (delay <= 0) ws.send(bytes);
    else setTimeout(() => ws.readyState === WebSocket.OPEN && ws.send(bytes), delay);
  }
}
