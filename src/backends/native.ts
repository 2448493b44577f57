/**
 * Registers the native wasm backend (WebAssembly SIMD kernels on Node's worker threads; see
 * ./wasm). The browser build swaps in the empty twin native.browser.ts.
 */
import './wasm/backend.js';
