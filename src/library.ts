/**
 * What dynopool offers on every platform: tensors, autograd, the ops, the reference and gpu.js
 * backends, nn, and the training loop over a RunStore. The entry points add their platform's
 * part: src/index.ts (Node: the wasm backend, files, Ctrl-C, environment settings) and
 * src/browser.ts (a page or Worker: the webgl2 / webgl modes, nothing from Node).
 */
export { Tensor, type NestedArray, type Scalar } from './tensor/tensor.js';
export {
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  fullLike,
  scalar,
  arange,
  eye,
  rand,
  randn,
  fromTypedArray,
  type CreateOptions,
  type TensorOptions,
  type RandomOptions,
} from './tensor/creation.js';
export { Generator, defaultGenerator, manualSeed } from './tensor/random.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
export { noGrad, isGradEnabled } from './autograd/grad-mode.js';
export { tidy, keep } from './backend/memory.js';
export {
  defineOp,
  defineNonDifferentiable,
  customVjp,
  record,
  type OpSpec,
  type JointOpSpec,
  type GradFn,
  type GradContext,
  type Op,
} from './autograd/op.js';
export type { Node } from './tensor/tensor.js';
export {
  gradcheck,
  gradcheckParams,
  type GradcheckOptions,
  type GradcheckResult,
  type GradcheckInputReport,
} from './autograd/gradcheck.js';
export type { Backend, Storage } from './backend/backend.js';
export { HostStorage } from './backend/host-storage.js';
export {
  kernel,
  kernelShapes,
  type Kernel,
  type KernelShapes,
  type OutputSpec,
  type Placement,
  type CpuKernelFn,
} from './backend/kernel.js';
export {
  getBackend,
  setBackend,
  backendFor,
  backendFromEnvironment,
  registerBackend,
  registeredBackends,
  type BackendOptions,
  type BackendFactory,
} from './backend/registry.js';
export { referenceBackend, referenceKernels, runReference } from './backends/reference.js';
export { GpuBackend, SMALL as GPU_HOST_PLACEMENT_LIMIT, gpuKernels } from './backends/gpu.js';
export { GpuStorage, gpuMemoryStats, type GpuMemoryStats } from './backend/gpu/storage.js';
export {
  availableModes,
  modeUnavailableReason,
  resolveMode,
  glRenderer,
  isSoftwareRenderer,
  GPU_MODES,
  platformModes,
  type GpuMode,
} from './backend/gpu/runtime.js';
export * from './ops/index.js';
export { runKernel, runKernel1 } from './ops/util.js';
export * from './ops/kernels.js';
export * from './nn/index.js';
export { trainStep, argmaxCorrect, type StepBatch, type StepOptions, type StepResult } from './train/step.js';
export { Interrupted } from './train/interrupted.js';
export { DEFAULTS, MODELS, buildModel, validateConfig, type RunConfig, type ModelName } from './train/config.js';
export {
  trainInto,
  createSession,
  evaluate,
  type RunStore,
  type TrainHooks,
  type TrainResult,
  type EpochRecord,
  type BatchInfo,
  type Session,
  type Interruption,
} from './train/loop.js';
export { DATASETS, makeSplit, type Dataset, type Split } from './data/dataset.js';
export { barcodes, rings, type SyntheticOptions } from './data/synthetic.js';
export { applyToyTransform, TOY_TRANSFORMS, type ToyTransform } from './data/transforms.js';

import './backends/index.js';
