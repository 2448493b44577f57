/**
 * The gpu.js backend (float32). Every kernel has a gpu.js implementation beside its reference
 * one (src/ops/<family>/<family>.gpu.ts, assembled here), so a float32 training step runs on
 * gpu.js end to end; float64 tensors take the CPU reference, with one warning per kernel
 * (DYNOPOOL_GPU_QUIET=1 silences it), never silently per call. A kernel with no gpu.js
 * implementation (cast, a conversion on the host) runs on the reference without a warning.
 * gpu.js itself loads on first use (src/backend/gpu/runtime.ts).
 *
 * Placement, from the kernel's declaration: results stay where the kernel wrote them
 * (GpuStorage): on GL modes a texture that the next kernel reads directly, with no readback in
 * between. A kernel runs on gpu.js when it is 'heavy' (conv, pooling, batchnorm, DynOPool,
 * matmul), when any input already lives on the device, or when an input has at least SMALL
 * values; otherwise (small host-only values, such as DynOPool's learned sizes and the GMACs loss
 * built from them) it runs on the CPU reference, where a kernel launch would cost more than the
 * arithmetic. Kernels with an empty input or output run on the reference.
 *
 * What reads back from the device (a readPixels on GL modes): `data()`, `item()`, `toArray()`
 * and printing; any op given float64 alongside device float32 values; the two size gradients
 * of `dynoSampleBackward` (per-plane partial sums, 2 x N x C values, summed on the host); and a
 * device value that a host-placed op reads (e.g. the loss scalar added to the host GMACs term).
 * A device storage reads back at most once and caches the host copy.
 */
import type { Backend, Storage } from '../backend/backend.js';
import {
  KernelCache,
  HostResult,
  resolveMode,
  type GpuKernelFn,
  type GpuMode,
  type GpuOutput,
  type KernelData,
} from '../backend/gpu/runtime.js';
import { setting } from '../backend/gpu/host.js';
import { GpuStorage } from '../backend/gpu/storage.js';
import { HostStorage } from '../backend/host-storage.js';
import { asList, implTable, type Kernel, type KernelShapes } from '../backend/kernel.js';
import { registerBackend, type BackendOptions } from '../backend/registry.js';
import { batchNormGpuImpls } from '../ops/batchnorm/batchnorm.gpu.js';
import { conv2dGpuImpls } from '../ops/conv/conv2d.gpu.js';
import { dynoSampleGpuImpls } from '../ops/dynopool/dynosample.gpu.js';
import { elementwiseGpu } from '../ops/elementwise/elementwise.gpu.js';
import { matmulGpuImpls } from '../ops/matmul/matmul.gpu.js';
import { movementGpu } from '../ops/movement/movement.gpu.js';
import { poolGpuImpls } from '../ops/pool/pool.gpu.js';
import { reduceGpuImpls } from '../ops/reduce/reduce.gpu.js';
import { sgdGpuImpls } from '../ops/optim/sgd.gpu.js';
import type { TypedArray } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import { referenceBackend as ref } from './reference.js';

/** Light kernels on host-only inputs smaller than this run on the CPU reference (see Placement). */
export const SMALL = 4096;

/** Every kernel's gpu.js implementation, by kernel name. */
export const gpuKernels: ReadonlyMap<string, GpuKernelFn<never>> = implTable([
  ...elementwiseGpu,
  ...reduceGpuImpls,
  ...movementGpu,
  ...matmulGpuImpls,
  ...conv2dGpuImpls,
  ...poolGpuImpls,
  ...batchNormGpuImpls,
  ...dynoSampleGpuImpls,
  ...sgdGpuImpls,
]);

/** The gpu.js backend: every kernel's gpu.js implementation, placed by its declaration (see the file comment). */
export class GpuBackend implements Backend {
  readonly name: string;
  readonly kernels: KernelCache;
  private readonly warned = new Set<string>();

  constructor(
    readonly mode: GpuMode,
    /** Where the once-per-kernel float64 fallback warnings go (stderr unless DYNOPOOL_GPU_QUIET=1). */
    readonly warn: (message: string) => void = (m) => {
      if (!setting('DYNOPOOL_GPU_QUIET')) console.warn(m);
    },
  ) {
    this.name = `gpu:${mode}`;
    this.kernels = new KernelCache(mode);
  }

  /** A gpu.js backend in `mode`; `auto` takes headlessgl on a hardware GL renderer, else webasm. */
  static create(mode: GpuMode | 'auto' = 'auto'): GpuBackend {
    return new GpuBackend(resolveMode(mode));
  }

  /** Kernels that ran on the reference because gpu.js has no kernel for their dtype (float64). */
  get fallbacks(): string[] {
    return [...this.warned];
  }

  upload = (values: TypedArray): Storage =>
    values instanceof Float32Array ? new GpuStorage(values.length, values, false) : new HostStorage(values);
  read = (x: Storage): TypedArray => x.hostValues().slice();
  readAsync = async (x: Storage): Promise<TypedArray> => x.hostValues().slice();
  has = (kernel: Kernel<never>): boolean => gpuKernels.has(kernel.name);

  /** Runs `kernel` where the placement rule puts it (see the file comment). */
  run<A>(kernel: Kernel<A>, inputs: readonly Storage[], attrs: A, shapes: KernelShapes): Storage[] {
    const args = this.place(kernel, inputs, shapes);
    if (!args) return ref.run(kernel, inputs, attrs, shapes).map(this.adopt);
    const fn = gpuKernels.get(kernel.name) as GpuKernelFn<A>;
    return asList<GpuOutput>(fn(this.kernels, args, attrs, shapes)).map((out, i) =>
      out instanceof HostResult
        ? new GpuStorage(out.values.length, out.values, false)
        : GpuStorage.fromKernel(sizeOf(shapes.outputs[i]), out),
    );
  }

  /**
   * The kernel arguments when `kernel` runs on gpu.js, null when it runs on the host reference:
   * no gpu.js implementation, an empty input or output, a light kernel on small host-only
   * inputs, or an input that is not float32 gpu storage (float64: warned once per kernel).
   */
  private place(kernel: Kernel<never>, inputs: readonly Storage[], shapes: KernelShapes): KernelData[] | null {
    if (!gpuKernels.has(kernel.name)) return null;
    if (shapes.outputs.some((s) => sizeOf(s) === 0) || inputs.some((s) => s.size === 0)) return null;
    if (kernel.placement === 'light' && !inputs.some((s) => (s instanceof GpuStorage && s.onDevice) || s.size >= SMALL))
      return null;
    if (inputs.every((s) => s instanceof GpuStorage)) return inputs.map((s) => (s as GpuStorage).kernelArg());
    if (!this.warned.has(kernel.name)) {
      this.warned.add(kernel.name);
      this.warn(
        `dynopool gpu backend (${this.mode}): '${kernel.name}' runs on the CPU reference (float64 tensors have no gpu.js kernel); further calls are not reported`,
      );
    }
    return null;
  }

  /** A reference result as this backend's storage (float32 values become host GpuStorage). */
  private adopt = (s: Storage): Storage =>
    s instanceof HostStorage && s.values instanceof Float32Array ? new GpuStorage(s.size, s.values, false) : s;
}

const gpuBackends = new Map<GpuMode, GpuBackend>();

/** One gpu.js backend per mode ('auto' resolves to a mode first). */
export function gpuBackendFor(opts: BackendOptions = {}): GpuBackend {
  const mode = resolveMode(opts.mode ?? 'auto');
  let b = gpuBackends.get(mode);
  if (!b) gpuBackends.set(mode, (b = new GpuBackend(mode)));
  return b;
}

registerBackend('gpu', gpuBackendFor);
