/**
 * Platform twins for the browser bundles (scripts/build-browser.js, and the browser tests'
 * bundles in test/support/browser.ts): where a source file `x.ts` under src/ has a sibling
 * `x.browser.ts`, an import of `./x.js` from inside src/ resolves to the twin (e.g.
 * src/backend/gpu/host.browser.ts, which bundles gpu.js's browser build instead of loading it
 * with Node's `require`). Imports from outside src/ are left alone.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'src');

/** esbuild plugin: `./x.js` imports inside src/ resolve to `x.browser.ts` when that twin exists. */
export const browserTwins = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.startsWith(src)) return undefined;
      const twin = join(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(twin) ? { path: twin } : undefined;
    });
  },
};

/** The esbuild options every browser bundle shares: one ES2022 module for a page or Worker, with the twins. */
export const browserBundle = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  plugins: [browserTwins],
};
