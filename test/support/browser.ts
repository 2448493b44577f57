/**
 * Shared pieces of the browser suites (test/browser): headless chromium through playwright-core
 * (Debian's `chromium`; playwright-core never downloads a browser), a loopback static server
 * with the cross-origin isolation headers, esbuild bundles with the platform twins of
 * scripts/build-browser.js, and a page that records console errors and uncaught errors.
 *
 * A missing chromium skips the browser suites with the reason, unless DYNOPOOL_REQUIRE_BROWSER=1
 * (CI), where it fails them. CHROMIUM_PATH names a browser other than `chromium` on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { browserBundle } from '../../scripts/browser-twins.js';
import { CONTENT_TYPES } from '../../src/cli/lab.js';
import { REQUIRE_BROWSER } from './config.js';

/** The chromium executable: CHROMIUM_PATH, else `chromium` on the PATH; null when there is none. */
export function chromiumPath(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH?.trim();
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : '';
  return found || null;
}

/** Why the browser suites cannot run here (null: they can). */
export function browserUnavailableReason(): string | null {
  if (chromiumPath() !== null) return null;
  const env = process.env.CHROMIUM_PATH?.trim();
  return env
    ? `CHROMIUM_PATH=${env} does not exist`
    : 'no chromium on the PATH (apt-get install chromium, or set CHROMIUM_PATH)';
}

/**
 * `body` runs inside a describe block when chromium is here; else the block is reported skipped
 * with the reason, or, with DYNOPOOL_REQUIRE_BROWSER=1, replaced by a failing test.
 */
export function describeInBrowser(title: string, body: () => void): void {
  const reason = browserUnavailableReason();
  if (reason !== null && REQUIRE_BROWSER) {
    describe(title, () => {
      it('has a browser (DYNOPOOL_REQUIRE_BROWSER=1)', () => {
        throw new Error(`headless chromium is required but not available here: ${reason}`);
      });
    });
    return;
  }
  describe.skipIf(reason !== null)(`${title}${reason ? ` (skipped: ${reason})` : ''}`, body);
}

/**
 * Headless chromium with WebGL on SwiftShader (CPU) and no sandbox (CI runs as root); `extraArgs`
 * adds switches (e.g. '--disable-webgl2' for a browser without WebGL2).
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === null) throw new Error(`no browser: ${browserUnavailableReason()}`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', ...extraArgs],
  });
}

/** A running static server: its base url (ending in '/') and a way to stop it. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on 127.0.0.1 (a free port), cross-origin isolated
 * (COOP same-origin, COEP require-corp: what SharedArrayBuffer needs) and uncached. `extra` adds
 * routes held in memory, by path ('/' or '/x.html': their content type follows the extension,
 * html when there is none). Anything else, or a path outside `root`, is a 404.
 */
export async function serveDir(root: string, extra: Record<string, string> = {}): Promise<Served> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const send = (status: number, body: string | Buffer, type: string) => {
      res.writeHead(status, {
        'Content-Type': type,
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    };
    const typeOf = (p: string) =>
      CONTENT_TYPES[extname(p)] ?? (extname(p) ? 'application/octet-stream' : CONTENT_TYPES['.html']);
    if (path in extra) return send(200, extra[path], typeOf(path));
    const file = join(base, path);
    if (!file.startsWith(base + sep)) return send(404, 'not found', CONTENT_TYPES['.txt']);
    readFile(file).then(
      (body) => send(200, body, typeOf(file)),
      () => send(404, 'not found', CONTENT_TYPES['.txt']),
    );
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * Bundles `entry` (and what it imports, src/ with its browser twins) into one ES module for a
 * page or module Worker, as scripts/build-browser.js does; a Node import fails the build.
 */
export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ ...browserBundle, entryPoints: [entry], outfile, logLevel: 'error' });
}

/**
 * Runs the project's browser build (scripts/build-browser.js: dist/browser/dynopool.js and the
 * lab) into `out` instead of dist/, so a test sees the sources as they are now.
 */
export function buildBrowserInto(out: string): void {
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'build-browser.js');
  const r = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`browser build (${script} --out ${out}) failed: ${r.stderr}`);
}

/** A page and what went wrong in it: console errors (its Workers' too) and uncaught errors. */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

/**
 * Opens a page at `url` that records every console error and uncaught error in `errors`. The only
 * one ignored is the browser's own request for a /favicon.ico that the server does not have.
 */
export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = m.location().url;
    if (new URL(at || url, url).pathname === '/favicon.ico' && m.text().includes('404')) return;
    errors.push(`console.error${m.worker() ? ' (worker)' : ''}: ${m.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.stack ?? e.message}`));
  await page.goto(url);
  return { page, errors };
}
