import { afterAll, beforeAll, TestRunner } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { createStaticHandler, type StaticHandlerOptions } from '../../server/http/static-handler.ts';
import { fromRoot } from '../../shared/paths.ts';

/** Debian's chromium; headless WebGL through SwiftShader (a WebGL failure would be silent). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
];

/**
 * Where Chromium is: CHROMIUM_PATH when it is set (and only there), else Debian's chromium.
 * `npm test` installs it first where it may (scripts/ensure-chromium.mjs, same places).
 */
export function chromiumPath(): string | null {
  const chosen = process.env['CHROMIUM_PATH'];
  if (chosen) return existsSync(chosen) ? chosen : null;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => existsSync(candidate)) ?? null;
}

export function noChromiumReason(): string {
  const chosen = process.env['CHROMIUM_PATH'];
  const missing = chosen ? `CHROMIUM_PATH=${chosen} does not exist` : 'no Chromium found';
  return `${missing}: browser tests skipped (install it with apt-get install -y chromium, or set CHROMIUM_PATH to a Chromium binary)`;
}

/** Headless Chromium, or without one a stand-in that skips the test asking it for a page, saying why. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) return browserThatSkips(noChromiumReason());
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

function browserThatSkips(reason: string): Browser {
  const skip = (): never => {
    TestRunner.getCurrentTest()?.context.skip(reason);
    throw new Error(reason);
  };
  return { newPage: skip, newContext: skip, close: async () => {} } as unknown as Browser;
}

/** Build the viewer into a temporary folder (not viewer/dist, which a running server may be serving). */
export async function buildViewer(): Promise<{ dir: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-viewer-'));
  await build({ configFile: fromRoot('viewer', 'vite.config.ts'), logLevel: 'error', build: { outDir: dir, emptyOutDir: true } });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The static handler on an ephemeral 127.0.0.1 port. */
export async function serveStatic(options: StaticHandlerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const handler = createStaticHandler(options);
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Where a test saves its screenshot: test-results/screenshots (ignored by git), or the README's
 * docs/screenshots when KDMARL_UPDATE_SCREENSHOTS=1, so a plain `npm test` leaves the tree clean.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.KDMARL_UPDATE_SCREENSHOTS === '1' ? fromRoot('docs', 'screenshots') : fromRoot('test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Resolves once the viewer has drawn another frame. Snapshots arrive on the socket and are drawn
 * on the next animation frame, so what is drawn can lag what was received by one frame.
 */
export async function nextFrame(page: Page): Promise<void> {
  const drawn = await page.evaluate(() => window.__viewer!.framesRendered());
  await page.waitForFunction((n) => window.__viewer!.framesRendered() > n, drawn);
}

/** Collect page errors so a test can fail on an uncaught exception in the viewer. */
export function trackPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

/**
 * The built viewer served from an empty runs/replays folder plus one headless Chromium, set up
 * once for a test file (beforeAll) and torn down after it. Read the fields inside tests.
 */
export function useViewerSite(): { browser: Browser; site: Awaited<ReturnType<typeof serveStatic>> } {
  const fixture = {} as { browser: Browser; site: Awaited<ReturnType<typeof serveStatic>> };
  let built: Awaited<ReturnType<typeof buildViewer>> | undefined;
  let emptyDir: string | undefined;
  beforeAll(async () => {
    built = await buildViewer();
    emptyDir = mkdtempSync(join(tmpdir(), 'kdmarl-viewer-empty-'));
    fixture.site = await serveStatic({ viewerDir: built.dir, runsDir: emptyDir, replaysDir: emptyDir });
    fixture.browser = await launchBrowser();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.site?.close();
    built?.cleanup();
    if (emptyDir) rmSync(emptyDir, { recursive: true, force: true });
  });
  return fixture;
}
