/**
 * The runnable library: registers the backends ('reference', 'gpu', then in Node 'wasm': see
 * ./native.ts and its browser twin) and installs
 * the op method forms (src/ops/index.ts). This folder sits above src/ops: it assembles each
 * backend from the op families' implementation tables.
 */
import '../ops/index.js';
export { referenceBackend, referenceKernels, runReference } from './reference.js';
export { GpuBackend, SMALL, gpuKernels, gpuBackendFor } from './gpu.js';
import './native.js';
