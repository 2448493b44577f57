/**
 * The wasm backend (float32): "a backend with its own native kernels" (src/backend/backend.ts).
 * Storage is host Float32Array (HostStorage, as the reference's). conv2d, its two gradients and
 * matmul run on the WebAssembly SIMD GEMM (wasm/kernels.ts, via ./kernels.ts) on up to two
 * threads; binary (all ops but pow, NumPy broadcasting), unary (neg, abs, relu, step, sqrt, floor,
 * sign), where, expand, the fused SGD update (sgdUpdate), batchnorm (statistics, apply,
 * backward), max pooling (forward, gradient) and DynOPool's sampling (forward, backward with the
 * size gradients) have native float32 kernels equal to the reference's float32 results; every
 * other kernel, and pow / the transcendental unary ops, runs on the CPU reference on the same
 * arrays. float64 tensors take
 * the reference for every kernel, with one warning per kernel that has a wasm implementation
 * (DYNOPOOL_WASM_QUIET=1 silences it), never silently per call.
 *
 *   setBackend('wasm')            or  DYNOPOOL_BACKEND=wasm, or dynopool train --backend wasm
 *
 * The kernels load on first use (kernels.wasm next to this module, built by npm run build:wasm).
 */
import type { Backend, Storage } from '../../backend/backend.js';
import { HostStorage } from '../../backend/host-storage.js';
import { asList, type Kernel, type KernelShapes } from '../../backend/kernel.js';
import { registerBackend } from '../../backend/registry.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { sizeOf } from '../../tensor/shape.js';
import { referenceBackend as ref } from '../reference.js';
import { wasmKernels, type WasmKernelFn } from './kernels.js';
import { WasmRuntime, type WasmRuntimeOptions } from './runtime.js';

export class WasmBackend implements Backend {
  readonly name: string;
  private rt: WasmRuntime | null = null;
  private readonly warned = new Set<string>();

  constructor(
    readonly options: WasmRuntimeOptions = {},
    /** where the one-per-kernel float64 fallback warning goes (stderr unless DYNOPOOL_WASM_QUIET) */
    readonly warn: (message: string) => void = (m) => {
      if (!process.env.DYNOPOOL_WASM_QUIET) console.warn(m);
    },
  ) {
    this.name = 'wasm';
  }

  /** The kernels' runtime (loaded, and its worker started, on first use). */
  get runtime(): WasmRuntime {
    return (this.rt ??= WasmRuntime.load(this.options));
  }

  /** A description for logs: the threads in use. */
  describe(): string {
    return `wasm (SIMD GEMM, ${this.runtime.threads} thread${this.runtime.threads > 1 ? 's' : ''})`;
  }

  /** Kernels that ran on the reference because their inputs were float64. */
  get fallbacks(): string[] {
    return [...this.warned];
  }

  upload = (values: TypedArray): Storage => new HostStorage(values);
  read = (x: Storage): TypedArray => x.hostValues().slice();
  readAsync = async (x: Storage): Promise<TypedArray> => x.hostValues().slice();
  has = (kernel: Kernel<never>): boolean => wasmKernels.has(kernel.name);

  run<A>(kernel: Kernel<A>, inputs: readonly Storage[], attrs: A, shapes: KernelShapes): Storage[] {
    const fn = wasmKernels.get(kernel.name) as WasmKernelFn<A> | undefined;
    if (!fn || shapes.outputs.some((s) => sizeOf(s) === 0) || inputs.some((s) => s.size === 0))
      return ref.run(kernel, inputs, attrs, shapes);
    const values = inputs.map((s) => s.hostValues());
    if (!values.every((v): v is Float32Array => v instanceof Float32Array)) {
      if (!this.warned.has(kernel.name)) {
        this.warned.add(kernel.name);
        this.warn(
          `dynopool wasm backend: '${kernel.name}' runs on the CPU reference (float64 tensors have no wasm kernel); further calls are not reported`,
        );
      }
      return ref.run(kernel, inputs, attrs, shapes);
    }
    const out = fn(this.runtime, values, attrs, shapes);
    // null: this call's variant (an op, a layout) has no wasm implementation
    if (out === null) return ref.run(kernel, inputs, attrs, shapes);
    return asList<Float32Array>(out).map((v) => new HostStorage(v));
  }
}

let shared: WasmBackend | null = null;

/** The one wasm backend (its runtime and worker are shared by every user). */
export function wasmBackend(): WasmBackend {
  return (shared ??= new WasmBackend());
}

registerBackend('wasm', wasmBackend);
