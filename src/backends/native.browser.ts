/**
 * The browser's twin of native.ts: no native wasm backend in a page yet (it runs its threads on
 * Node's worker_threads); a page has gpu.js's webgl2, webgl, webasm and cpu modes.
 */
export {};
