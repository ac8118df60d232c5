import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { fromRoot } from '../../shared/paths.ts';
import { builtinScenarios } from '../scenarios/registry.ts';

/**
 * Read-only HTTP side of `kdmarl serve`: the built viewer at `/`, training runs under `/runs/`
 * (listing as JSON, files with byte ranges so the charts page can tail a growing metrics.jsonl),
 * replay files under `/replays/`, and the built-in scenario names at `/scenarios`. Mounted by the network server on its http.Server; the
 * WebSocket upgrade never reaches this handler.
 */
export type StaticHandlerOptions = {
  /** The Vite build output (default `viewer/dist`). */
  viewerDir?: string;
  /** Folder holding one folder per training run (default `runs`). */
  runsDir?: string;
  /** Folder holding replay files (default `replays`). */
  replaysDir?: string;
};

/**
 * Connect-style: answers the request, or calls `next` when the path is none of ours (then the
 * caller answers it). Without `next`, unknown paths get a 404.
 */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.msgpack': 'application/octet-stream',
  '.kdr': 'application/octet-stream',
  '.replay': 'application/octet-stream',
};

/** What the run and replay listings expose: text results and replays, never checkpoints or models. */
const RUN_FILE_EXTENSIONS = new Set(['.jsonl', '.json', '.md', '.csv', '.txt', '.log']);
/** Replay files; the recorder numbers the files of later scenes `FILE.1`, `FILE.2`, ... */
const REPLAY_NAME = /\.(msgpack|kdr|replay)(\.\d+)?$/;
const isRunFile = (name: string): boolean => RUN_FILE_EXTENSIONS.has(extname(name));
/** How deep under runs/ a run folder may sit (a report keeps its runs in runs/<report>/runs/<run>). */
const MAX_RUN_DEPTH = 3;

export type RunListing = { runs: { name: string; mtimeMs: number; files: FileEntry[] }[] };
export type ReplayListing = { replays: FileEntry[] };
export type FileEntry = { name: string; size: number; mtimeMs: number };

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function createStaticHandler(options: StaticHandlerOptions = {}): StaticHandler {
  const viewerDir = options.viewerDir ?? fromRoot('viewer', 'dist');
  const runsDir = options.runsDir ?? fromRoot('runs');
  const replaysDir = options.replaysDir ?? fromRoot('replays');

  async function route(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      throw new HttpError(400, 'malformed request URL');
    }
    const segments = splitSegments(pathname);
    const head = segments[0];

    if (head === 'runs') {
      requireReadMethod(req);
      if (segments.length === 1) return sendJson(req, res, await listRuns(runsDir));
      // runs/<run>/<file>, or deeper for runs nested in a report (runs/report__3m/runs/<variant>/<file>).
      if (segments.length < 3 || segments.length > 2 + MAX_RUN_DEPTH) throw new HttpError(404, `no such run file: ${pathname}`);
      const file = segments[segments.length - 1]!;
      if (!RUN_FILE_EXTENSIONS.has(extname(file))) {
        throw new HttpError(403, `not served from runs: ${file} (only ${[...RUN_FILE_EXTENSIONS].join(' ')})`);
      }
      return sendFile(req, res, runsDir, segments.slice(1), 'no-store');
    }
    if (head === 'scenarios' && segments.length === 1) {
      // For the viewer's scenario switcher: the names `kdmarl serve` accepts without a path.
      requireReadMethod(req);
      const scenarios = [...builtinScenarios().values()].map((s) => ({ name: s.file.name, family: s.family.name }));
      return sendJson(req, res, { scenarios });
    }
    if (head === 'replays') {
      requireReadMethod(req);
      if (segments.length === 1) return sendJson(req, res, await listReplays(replaysDir));
      if (segments.length !== 2) throw new HttpError(404, `no such replay: ${pathname}`);
      if (!REPLAY_NAME.test(segments[1]!)) throw new HttpError(403, `not a replay file name: ${segments[1]} (*.kdr, *.msgpack, *.replay)`);
      return sendFile(req, res, replaysDir, segments.slice(1), 'no-cache');
    }

    // The viewer: only files that exist in the build; anything else belongs to the caller.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (next) return next();
      throw new HttpError(405, `method ${req.method} not allowed`);
    }
    const viewerPath = segments.length === 0 ? ['index.html'] : segments;
    const found = await resolveInside(viewerDir, viewerPath).catch(() => null);
    if (!found) {
      if (next) return next();
      if (segments.length === 0) {
        throw new HttpError(503, `viewer not built (no ${join(viewerDir, 'index.html')}): run npm run build:viewer`);
      }
      throw new HttpError(404, `not found: ${pathname}`);
    }
    // Vite content-hashes everything under assets/, so those never change under the same name.
    const cache = segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache';
    return streamFile(req, res, found.path, found.size, cache);
  }

  return (req, res, next) => {
    route(req, res, next).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (!(error instanceof HttpError)) console.error('static handler:', error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : message + '\n');
    });
  };
}

/**
 * URL path to decoded segments, refusing anything that could climb out of a root or reach a
 * hidden file: `..`, `.`, empty segments, encoded slashes or backslashes, NUL.
 */
export function splitSegments(pathname: string): string[] {
  const raw = pathname.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
  return raw.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, `malformed path segment: ${segment}`);
    }
    if (decoded === '' || decoded.startsWith('.') || /[/\\\0]/.test(decoded)) {
      throw new HttpError(400, `path segment not allowed: ${JSON.stringify(decoded)}`);
    }
    return decoded;
  });
}

function requireReadMethod(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed (read-only)`);
}

/** The real path of a regular file under root; symlinks that lead outside root are refused. */
async function resolveInside(root: string, segments: string[]): Promise<{ path: string; size: number }> {
  const realRoot = await realpath(root).catch(() => {
    throw new HttpError(404, 'not found');
  });
  const real = await realpath(join(realRoot, ...segments)).catch(() => {
    throw new HttpError(404, `not found: /${segments.join('/')}`);
  });
  if (!real.startsWith(realRoot + sep)) throw new HttpError(403, 'outside the served folder');
  const info = await stat(real);
  if (!info.isFile()) throw new HttpError(404, `not a file: /${segments.join('/')}`);
  return { path: real, size: info.size };
}

async function sendFile(req: IncomingMessage, res: ServerResponse, root: string, segments: string[], cache: string): Promise<void> {
  const found = await resolveInside(root, segments);
  return streamFile(req, res, found.path, found.size, cache);
}

/** Streams a file, honouring a single `Range: bytes=a-b` (the charts page tails growing files with `bytes=<seen>-`). */
function streamFile(req: IncomingMessage, res: ServerResponse, path: string, size: number, cache: string): void {
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': cache,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range !== undefined) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!match || (match[1] === '' && match[2] === '')) throw new HttpError(416, `unsupported range: ${range}`);
    if (match[1] === '') {
      start = Math.max(0, size - Number(match[2]));
    } else {
      start = Number(match[1]);
      if (match[2] !== '') end = Math.min(end, Number(match[2]));
    }
    if (start >= size || start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'cache-control': cache });
      res.end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(path, { start, end });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function sendJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function listFiles(dir: string, allowed: (name: string) => boolean): Promise<FileEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: FileEntry[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.') || !allowed(entry.name)) continue;
    const info = await stat(join(dir, entry.name)).catch(() => null);
    if (info) files.push({ name: entry.name, size: info.size, mtimeMs: info.mtimeMs });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** Every folder under runs/ (up to MAX_RUN_DEPTH) that holds a servable file; names are relative paths with '/'. */
export async function listRuns(runsDir: string): Promise<RunListing> {
  const runs: RunListing['runs'] = [];
  const visit = async (dir: string, prefix: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      // Symlinked folders are not followed: listing stays inside runs/ like serving does.
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      const files = await listFiles(join(dir, entry.name), isRunFile);
      if (files.length > 0) runs.push({ name, mtimeMs: files.reduce((m, f) => Math.max(m, f.mtimeMs), 0), files });
      if (depth < MAX_RUN_DEPTH) await visit(join(dir, entry.name), name, depth + 1);
    }
  };
  await visit(runsDir, '', 1);
  // Newest first: the run someone is watching is usually the one being written.
  return { runs: runs.sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name)) };
}

export async function listReplays(replaysDir: string): Promise<ReplayListing> {
  return { replays: await listFiles(replaysDir, (name) => REPLAY_NAME.test(name)) };
}
