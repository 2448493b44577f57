/**
 * Kernel declarations: the one place that says what a kernel is.
 *
 * A kernel is declared once, in its op family's folder (src/ops/<family>/<family>.kernels.ts),
 * with its name, the record of attributes it takes, the shapes (and dtypes) of its outputs
 * computed from those attributes and the input shapes, and its placement on accelerated
 * backends. Nothing else computes a kernel's output size: the op helper `runKernel` calls
 * `outputs` once and hands the shapes to the backend, which allocates from them.
 *
 * Implementations are separate tables keyed by kernel name, one per backend kind, beside the
 * declaration: the CPU reference ones in `<family>.cpu.ts`, the gpu.js ones in `<family>.gpu.ts`
 * (the tfjs `registerKernel(kernelName, backendName, impl)` pattern).
 */
import { dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';

/** One output of a kernel: its shape, and its dtype when it is not the first input's. */
export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
}

/**
 * Where a kernel runs on an accelerated backend: 'heavy' kernels (conv, pooling, batchnorm,
 * DynOPool, matmul) always run there; 'light' ones (elementwise, movement, reductions) only
 * when an input already lives on the device or is large.
 */
export type Placement = 'heavy' | 'light';

/**
 * A kernel declaration (`kernel({ name, placement, outputs })`): the attribute type `A`, where it
 * runs, and its output shapes.
 */
export interface Kernel<A> {
  readonly name: string;
  readonly placement: Placement;
  /** Output shapes (and dtypes) from the attributes and the input shapes. */
  outputs(attrs: A, inputShapes: readonly Shape[]): readonly OutputSpec[];
}

/** Declares a kernel (identity, for type inference of the attributes). */
export function kernel<A>(k: Kernel<A>): Kernel<A> {
  return k;
}

/** What a backend gets besides the inputs: every input and output shape, and the output dtypes. */
export interface KernelShapes {
  readonly inputs: readonly Shape[];
  readonly outputs: readonly Shape[];
  readonly dtypes: readonly DType[];
}

/** Computes a call's shapes from the declaration (used by `runKernel`, and by tests). */
export function kernelShapes<A>(
  k: Kernel<A>,
  attrs: A,
  inputShapes: readonly Shape[],
  inputDType: DType,
): KernelShapes {
  const specs = k.outputs(attrs, inputShapes);
  return { inputs: inputShapes, outputs: specs.map((s) => s.shape), dtypes: specs.map((s) => s.dtype ?? inputDType) };
}

/** A CPU implementation: host arrays in, host arrays out (one per declared output). */
export type CpuKernelFn<A> = (
  inputs: readonly TypedArray[],
  attrs: A,
  shapes: KernelShapes,
) => TypedArray | readonly TypedArray[];

/** One row of an implementation table (the attribute type is erased once the row is built). */
export interface KernelImpl<Fn> {
  readonly kernel: Kernel<never>;
  readonly fn: Fn;
}

export type CpuKernelImpl = KernelImpl<CpuKernelFn<never>>;

/** A row of a CPU implementation table, type-checked against the declaration's attributes. */
export function cpuImpl<A>(k: Kernel<A>, fn: CpuKernelFn<A>): CpuKernelImpl {
  return { kernel: k as unknown as Kernel<never>, fn: fn as CpuKernelFn<never> };
}

/** An implementation table by kernel name; a duplicate name is a programming error. */
export function implTable<Fn>(rows: readonly KernelImpl<Fn>[]): ReadonlyMap<string, Fn> {
  const m = new Map<string, Fn>();
  for (const r of rows) {
    if (m.has(r.kernel.name)) throw new Error(`kernel '${r.kernel.name}' implemented twice`);
    m.set(r.kernel.name, r.fn);
  }
  return m;
}

/** A kernel result as a list (single-output kernels may return the array itself). */
export const asList = <T>(r: T | readonly T[]): readonly T[] => (Array.isArray(r) ? (r as readonly T[]) : [r as T]);

/** A scalar as a one-value array of `like`'s dtype (0-d kernel outputs such as dynoSample's dh). */
export function scalarLike(value: number, like: TypedArray): TypedArray {
  return dtypeOf(like) === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
}
