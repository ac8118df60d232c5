import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../../shared/paths.ts';

/**
 * Spawned agent processes run compiled JS (`node dist/cli.js agent ...`). A full `tsc` build takes
 * ~10 s on these machines, so the tests transpile just the modules the agent command reaches
 * (file by file: the project is isolatedModules) into dist/, and only those older than their source.
 * The result is what `npm run build` writes for the same files (ES modules), plus the agent
 * bundle (dist/agent.js, rebuilt when any file it holds is newer) that spawned agents run.
 */
/** `kdmarl agent` (through the loader), the bundle's entry, and the bundler itself. */
const ENTRY = 'agents/process/agent-loader.ts';
const AGENT_ENTRIES = [ENTRY, 'agents/process/agent-main.ts', 'agents/process/bundle-agent.ts'];
/** The network commands: serve, up, stress (their closures include the simulator). */
const NET_ENTRIES = ['server/net/serve-command.ts', 'agents/process/up-command.ts', 'server/net/stress-command.ts'];

/** Every source file the agent command can load (static and literal dynamic imports). */
export function agentClosure(): string[] {
  return closure([ENTRY, 'agents/process/agent-main.ts']);
}

function closure(entries: string[]): string[] {
  const root = projectRoot();
  const seen = new Set<string>();
  const queue = entries.map((e) => join(root, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (existsSync(target)) queue.push(target);
    }
  }
  return [...seen];
}

/** Test files run in parallel workers: one transpiles while the others wait, so nobody spawns a half-updated dist. */
function withLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, '.agent-build.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone already
      }
      Atomics.wait(pause, 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function ensureAgentDist(): string {
  return ensureDist(AGENT_ENTRIES);
}

/** dist for `serve`, `up` and `stress` as well as the agent. */
export function ensureNetDist(): string {
  return ensureDist([...AGENT_ENTRIES, ...NET_ENTRIES]);
}

/** dist for the agent and the given command modules (e.g. 'agents/distill/adapt-command.ts'). */
export function ensureCommandDist(entries: string[]): string {
  return ensureDist([...AGENT_ENTRIES, ...entries]);
}

/** dist/agent.js, what the launcher spawns (built with the agent's dist). */
export function agentBundle(): string {
  ensureAgentDist();
  return join(projectRoot(), 'dist', 'agent.js');
}

function ensureDist(entries: string[]): string {
  const root = projectRoot();
  mkdirSync(join(root, 'dist'), { recursive: true });
  return withLock(join(root, 'dist'), () => transpile(root, entries));
}

function transpile(root: string, entries: string[]): string {
  // cli.ts itself only: its subcommands are imported lazily and only the named ones are needed.
  for (const file of [join(root, 'cli.ts'), ...closure(entries)]) {
    const source = readFileSync(file, 'utf8');
    const out = join(root, 'dist', relative(root, file)).replace(/\.ts$/, '.js');
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(file).mtimeMs) continue;
    const js = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        // ESNext, not NodeNext: transpileModule cannot see package.json's "type": "module" and
        // would emit CommonJS for NodeNext.
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
        esModuleInterop: true,
      },
    }).outputText;
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, js);
    renameSync(tmp, out);
  }
  bundleIfStale(root);
  return join(root, 'dist', 'cli.js');
}

/** The bundler runs in a child (rolldown is async; this helper is synchronous under its lock). */
function bundleIfStale(root: string): void {
  const bundle = join(root, 'dist', 'agent.js');
  const sources = closure(AGENT_ENTRIES);
  if (existsSync(bundle)) {
    const built = statSync(bundle).mtimeMs;
    if (sources.every((file) => statSync(file).mtimeMs <= built)) return;
  }
  execFileSync(process.execPath, [join(root, 'dist', 'agents', 'process', 'bundle-agent.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Relative specifiers of static imports, re-exports and literal dynamic imports. */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) found.push(match[1] ?? match[2]);
  return found;
}
