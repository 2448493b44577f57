/** Types of scripts/browser-twins.js (imported by the browser tests' bundles, test/support/browser.ts). */
import type { Plugin } from 'esbuild';

/** esbuild plugin: `./x.js` imports inside src/ resolve to `x.browser.ts` when that twin exists. */
export declare const browserTwins: Plugin;

/** The esbuild options every browser bundle shares: one ES2022 module for a page or Worker, with the twins. */
export declare const browserBundle: {
  bundle: true;
  format: 'esm';
  platform: 'browser';
  target: 'es2022';
  sourcemap: true;
  plugins: Plugin[];
};
