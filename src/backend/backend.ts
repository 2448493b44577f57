/**
 * The Backend interface: the only place where tensor data is touched.
 *
 * A backend is a name, a kind of storage, and a table of kernel implementations. Ops
 * (src/ops) hold the math of each operation, its shape rule and its gradient; they run every
 * kernel through one call, `run`, with the kernel's declaration (src/backend/kernel.ts), the
 * input storages, the attribute record and the shapes computed from the declaration. They never
 * read a storage themselves. Kernels receive attributes that the op has already validated, so an
 * implementation never needs to produce an error message.
 *
 * Tensors are contiguous row-major; every kernel returns fresh storage (storages are immutable
 * once created, which is what lets the autograd engine save them for backward).
 *
 * Two kinds of backend can be added without touching any op:
 *
 *   - An asynchronous backend (gpu.js's `webgpu` mode, where every kernel call returns a
 *     Promise). `run` stays synchronous: it queues the work and returns storages whose values
 *     may still be pending (as tfjs's WebGPU backend does); `size` and `dtype` are known from the
 *     shapes at once, so graph building and autograd never wait. Only reads wait:
 *     `readAsync` (behind `Tensor.dataAsync()`) resolves the values, and the synchronous `read`
 *     (and `Storage.hostValues`) of such a backend throws an error that points to
 *     `dataAsync()`. test/backend/async-backend.test.ts builds one over the reference kernels.
 *     Inherent sync points remain where an op needs a value on the host to decide a shape:
 *     DynOPool's output size round(h) (src/ops/dynopool/dynopool.ts) reads `h` with `item()`,
 *     so on an asynchronous backend that op needs `h` already resolved (or an async variant).
 *   - A backend with its own native kernels (e.g. a WebAssembly SIMD CPU backend): it keeps a
 *     table of the implementations it has, keyed by kernel name, and runs every other kernel
 *     through the reference implementations on `hostValues()` (the gpu.js backend,
 *     src/backends/gpu.ts, is built that way). Registering it is one `registerBackend` call.
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import type { Kernel, KernelShapes } from './kernel.js';

/** A backend's handle on one tensor's values (host arrays, gpu.js textures, ...). */
export interface Storage {
  readonly dtype: DType;
  readonly size: number;
  /**
   * The values as a host array, shared and read-only: device storage reads back (once) here.
   * This is how the reference kernels read any backend's storage. An asynchronous backend's
   * storage throws here until its values are resolved (use `Backend.readAsync`).
   */
  hostValues(): TypedArray;
}

/**
 * Where tensor data lives and kernels run: upload and read storages, run a declared kernel on
 * them. Backends are registered by name (`registerBackend`) and chosen with `setBackend`.
 */
export interface Backend {
  readonly name: string;
  /** Wraps values as storage (the backend may take ownership of the array). */
  upload(values: TypedArray): Storage;
  /** A fresh host copy of the values; an asynchronous backend throws (use readAsync). */
  read(x: Storage): TypedArray;
  /** A fresh host copy of the values, once they are computed. */
  readAsync(x: Storage): Promise<TypedArray>;
  /**
   * Runs `kernel` on `inputs` with `attrs`, returning one storage per declared output, of the
   * shapes and dtypes in `shapes` (computed from the declaration by the caller).
   */
  run<A>(kernel: Kernel<A>, inputs: readonly Storage[], attrs: A, shapes: KernelShapes): Storage[];
  /** Whether this backend has its own implementation of `kernel` (else it uses the reference). */
  has(kernel: Kernel<never>): boolean;
}
