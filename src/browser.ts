/**
 * dynopool in a browser page or Web Worker: src/library.ts, bundled with gpu.js's browser build
 * (modes webgl2, webgl, webasm, cpu; `setBackend('gpu', { mode: 'auto' })` picks webgl2 where the
 * page has it). Nothing here imports Node: files that differ (`x.ts`) have a `x.browser.ts` twin
 * that scripts/build-browser.js swaps in. Run training in a Worker: gpu.js's WebGL readbacks are
 * synchronous and would freeze a page's main thread.
 *
 *   import { setBackend, trainInto, barcodes } from 'dynopool';   // the "browser" export
 */
export * from './library.js';
export { runInterruptibly } from './train/interrupt.js';
