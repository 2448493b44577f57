/**
 * dynopool: a tensor library with reverse-mode autograd, the reference ops of DynOPool
 * (CVPR 2022), and the tools to prove their gradients right.
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
export { WasmBackend, wasmBackend, wasmKernels, WasmRuntime, type WasmRuntimeOptions } from './backends/index.js';
export { GpuStorage, gpuMemoryStats, type GpuMemoryStats } from './backend/gpu/storage.js';
export {
  availableModes,
  modeUnavailableReason,
  resolveMode,
  glRenderer,
  GPU_MODES,
  type GpuMode,
} from './backend/gpu/runtime.js';
export * from './ops/index.js';
export { runKernel, runKernel1 } from './ops/util.js';
export * from './ops/kernels.js';
export * from './nn/index.js';
export { trainStep, argmaxCorrect, type StepBatch, type StepOptions, type StepResult } from './train/step.js';
export { runInterruptibly, Interrupted } from './train/interrupt.js';

import './backends/index.js';
import { backendFromEnvironment } from './backend/registry.js';
backendFromEnvironment();
