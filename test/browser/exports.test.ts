/**
 * The package's "browser" export: a bundler building a page that imports 'dynopool' gets
 * dist/browser/dynopool.js (the esbuild bundle of src/browser.ts), not the Node entry, and the
 * page needs nothing from Node. Runs without a browser.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { buildBrowserInto } from '../support/browser.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dynopool-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("resolves import 'dynopool' to the browser bundle for a browser build, with no Node module in it", async () => {
  // the package as npm would install it: package.json and the built browser bundle
  const pkg = join(dir, 'pkg');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  buildBrowserInto(join(pkg, 'dist'));
  // an app that uses it
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules', 'dynopool'), 'dir');
  writeFileSync(
    join(app, 'main.js'),
    "import { tensor, setBackend } from 'dynopool';\nsetBackend('gpu', { mode: 'auto' });\nconsole.log(tensor([1, 2]).sum().item());\n",
  );
  const result = await build({
    entryPoints: [join(app, 'main.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((i) => i.endsWith('dist/browser/dynopool.js'))).toBe(true);
  expect(inputs.filter((i) => i.endsWith('dist/index.js'))).toEqual([]);
  expect(result.errors).toEqual([]);
});
