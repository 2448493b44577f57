/**
 * The CPU reference backend: every kernel in plain TypeScript over typed arrays, float64
 * arithmetic (float32 tensors round once per op). It is the oracle the other backends are
 * checked against, so it favours clarity over speed. Its kernels are the `.cpu.ts` tables of
 * the op families, assembled here.
 */
import type { Backend, Storage } from '../backend/backend.js';
import { HostStorage } from '../backend/host-storage.js';
import { asList, implTable, type CpuKernelFn, type Kernel, type KernelShapes } from '../backend/kernel.js';
import { registerBackend } from '../backend/registry.js';
import { batchNormCpuImpls } from '../ops/batchnorm/batchnorm.cpu.js';
import { conv2dCpuImpls } from '../ops/conv/conv2d.cpu.js';
import { dynoSampleCpuImpls } from '../ops/dynopool/dynosample.cpu.js';
import { elementwiseCpu } from '../ops/elementwise/elementwise.cpu.js';
import { matmulCpuImpls } from '../ops/matmul/matmul.cpu.js';
import { movementCpu } from '../ops/movement/movement.cpu.js';
import { poolCpuImpls } from '../ops/pool/pool.cpu.js';
import { reduceCpuImpls } from '../ops/reduce/reduce.cpu.js';
import { sgdCpuImpls } from '../ops/optim/sgd.cpu.js';
import type { TypedArray } from '../tensor/dtype.js';

/** Every kernel's reference implementation, by kernel name. */
export const referenceKernels: ReadonlyMap<string, CpuKernelFn<never>> = implTable([
  ...elementwiseCpu,
  ...reduceCpuImpls,
  ...movementCpu,
  ...matmulCpuImpls,
  ...conv2dCpuImpls,
  ...poolCpuImpls,
  ...batchNormCpuImpls,
  ...dynoSampleCpuImpls,
  ...sgdCpuImpls,
]);

/**
 * Runs a kernel's reference implementation on host arrays (any backend's storage reads back
 * with `hostValues`); the building block of backends that lack a kernel.
 */
export function runReference<A>(
  kernel: Kernel<A>,
  inputs: readonly TypedArray[],
  attrs: A,
  shapes: KernelShapes,
): readonly TypedArray[] {
  const fn = referenceKernels.get(kernel.name) as CpuKernelFn<A> | undefined;
  if (!fn) throw new Error(`reference backend: no implementation of kernel '${kernel.name}'`);
  return asList(fn(inputs, attrs, shapes));
}

/** The CPU reference backend: host typed arrays and the `.cpu.ts` kernels, float32 and float64. */
export const referenceBackend: Backend = {
  name: 'reference',
  upload: (values) => new HostStorage(values),
  read: (x) => x.hostValues().slice(),
  readAsync: async (x) => x.hostValues().slice(),
  run: (kernel, inputs, attrs, shapes): Storage[] =>
    runReference(
      kernel,
      inputs.map((s) => s.hostValues()),
      attrs,
      shapes,
    ).map((v) => new HostStorage(v)),
  has: (kernel) => referenceKernels.has(kernel.name),
};

registerBackend('reference', () => referenceBackend);
