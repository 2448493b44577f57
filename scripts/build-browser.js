/**
 * Builds dynopool for browsers with esbuild (npm run build runs it after tsc):
 *
 *   dist/browser/dynopool.js   the library as one ES module (package.json "exports": the "browser"
 *                              condition), from src/browser.ts, with gpu.js's browser build inside
 *   dist/lab/                  the `dynopool lab` page: index.html, lab.css, page.js (the page) and
 *                              worker.js (training in a Web Worker), from src/lab/
 *
 * Platform twins: where a source file `x.ts` has a sibling `x.browser.ts`, the browser bundles
 * take the twin (e.g. src/backend/gpu/host.ts, which loads gpu.js with Node's `require`). With
 * platform 'browser', any import of a Node module that is left fails the build, so the browser
 * graph provably holds nothing from Node.
 *
 *   node scripts/build-browser.js            build
 *   node scripts/build-browser.js --out DIR  build into DIR instead of dist (tests)
 */
/* global process, console */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserBundle } from './browser-twins.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const out = resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : join(root, 'dist'));

const common = { ...browserBundle, legalComments: 'linked', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: [join(root, 'src', 'browser.ts')],
  outfile: join(out, 'browser', 'dynopool.js'),
});

const lab = join(root, 'src', 'lab');
if (existsSync(join(lab, 'page.ts'))) {
  // the page (vega, vega-lite) is minified; the Worker must not be: gpu.js translates kernel
  // functions from their source text (Function.toString) into GLSL, and minified JavaScript
  // (`a && b` for an `if`, `!0` for true) is not what its translator accepts
  await build({ ...common, minify: true, entryPoints: [join(lab, 'page.ts')], outdir: join(out, 'lab') });
  await build({ ...common, entryPoints: [join(lab, 'worker.ts')], outdir: join(out, 'lab') });
  mkdirSync(join(out, 'lab'), { recursive: true });
  for (const f of ['index.html', 'lab.css']) copyFileSync(join(lab, f), join(out, 'lab', f));
}
console.log(`browser build: ${out}/browser/dynopool.js${existsSync(join(lab, 'page.ts')) ? `, ${out}/lab/` : ''}`);
