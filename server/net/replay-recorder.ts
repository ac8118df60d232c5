import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { encode } from '../../shared/codec.ts';
import { REPLAY_FORMAT, PROTOCOL_VERSION, type ReplayHeader, type SceneMessage, type SnapshotMessage } from '../../shared/protocol.ts';

/**
 * `kdmarl serve --record FILE`: a ReplayHeader then one SnapshotMessage per tick, as concatenated
 * msgpack values. One file per scene: after a scenario switch the recorder moves on to
 * `FILE.<n>` (the viewer's replay parser reads one scene per file).
 */
export class ReplayRecorder {
  private stream: WriteStream | null = null;
  private readonly base: string;
  private files = 0;
  written = 0;
  failed: Error | null = null;
  readonly paths: string[] = [];

  constructor(path: string) {
    this.base = path;
  }

  startScene(scene: SceneMessage): string {
    this.stream?.end();
    const path = this.files === 0 ? this.base : `${this.base}.${this.files}`;
    this.files++;
    mkdirSync(dirname(path), { recursive: true });
    const stream = createWriteStream(path);
    stream.on('error', (error) => {
      this.failed = error;
    });
    const header: ReplayHeader = { kind: 'replay', format: REPLAY_FORMAT, version: PROTOCOL_VERSION, scene };
    stream.write(encode(header));
    this.stream = stream;
    this.paths.push(path);
    return path;
  }

  write(snapshot: SnapshotMessage): void {
    if (!this.stream || this.failed) return;
    this.stream.write(encode(snapshot));
    this.written++;
  }

  /** Resolves once everything written so far is on disk (flushed and closed). */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(resolve));
  }
}
