/** Types of scripts/browser-twins.js (imported by the browser tests' bundles, test/support/browser.ts). */
import type { Plugin } from 'esbuild';

/** esbuild plugin: `./x.js` imports inside src/ resolve to `x.browser.ts` when that twin exists. */
export declare const browserTwins: Plugin;
