/**
 * dynopool: a tensor library with reverse-mode autograd, the reference ops of DynOPool
 * (CVPR 2022), and the tools to prove their gradients right. This is the Node entry point:
 * src/library.ts (every platform) plus the native wasm backend, checkpoint and safetensors files,
 * run directories, Ctrl-C, and the DYNOPOOL_BACKEND / DYNOPOOL_GPU_MODE settings. The browser
 * entry is src/browser.ts.
 */
export * from './library.js';
export { WasmBackend, wasmBackend } from './backends/wasm/backend.js';
export { wasmKernels } from './backends/wasm/kernels.js';
export { WasmRuntime, type WasmRuntimeOptions } from './backends/wasm/runtime.js';
export { saveSafetensors, loadSafetensors, saveCheckpoint, loadCheckpoint, writeFileAtomic } from './nn/checkpoint.js';
export { runInterruptibly } from './train/interrupt.js';
export { train, readRun, runFiles, directoryStore, type RunFiles } from './train/trainer.js';
export { loadDataset, type DatasetSpec } from './data/registry.js';
export { mnist, fashionMnist, cifar, FASHION_CLASSES } from './data/real.js';

import { backendFromEnvironment } from './backend/registry.js';
backendFromEnvironment();
