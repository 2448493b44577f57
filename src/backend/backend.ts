/**
 * The Backend interface: the only place where tensor data is touched.
 *
 * Ops (src/ops) hold the math of each operation, its shape rule and its gradient; they call a
 * backend for every number they compute, and never read a tensor's storage themselves. A
 * backend owns an opaque `Storage` (a typed array on the CPU reference, a buffer or texture on
 * gpu.js) and implements these kernels. Kernels receive plain shape numbers that the op has
 * already validated, so a kernel never needs to produce an error message.
 *
 * Tensors are contiguous row-major; every kernel returns fresh storage (storages are immutable
 * once created, which is what lets the autograd engine save them for backward).
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';

export interface Storage {
  readonly dtype: DType;
  readonly size: number;
  /**
   * The values as a host array, shared and read-only: device storage reads back (once) here.
   * This is how the reference kernels read any backend's storage.
   */
  hostValues(): TypedArray;
}

/** Elementwise unary kernels. `step(x) = x > 0 ? 1 : 0`, `sign(x)` has sign(0) = 0. */
export type UnaryKernel =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'relu' | 'sigmoid' | 'tanh'
  | 'floor' | 'round' | 'sign' | 'step';

/** Elementwise binary kernels with NumPy broadcasting. Comparisons return 1 or 0. */
export type BinaryKernel =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'gt' | 'ge' | 'lt' | 'le';

export type ReduceKernel = 'sum' | 'max' | 'min';

/** Everything a 2-D convolution kernel needs, precomputed and validated by the conv2d op. */
export interface ConvGeometry {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly OC: number; readonly KH: number; readonly KW: number;
  readonly OH: number; readonly OW: number;
  readonly strideH: number; readonly strideW: number;
  readonly padH: number; readonly padW: number;
  readonly dilationH: number; readonly dilationW: number;
  readonly groups: number;
}

/** Pooling window geometry (no dilation), validated by the pooling ops. */
export interface PoolGeometry {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly OH: number; readonly OW: number;
  readonly KH: number; readonly KW: number;
  readonly strideH: number; readonly strideW: number;
  readonly padH: number; readonly padW: number;
  /** avgPool2d only: divide by the full window (true) or by the in-bounds part (false). */
  readonly countIncludePad: boolean;
}

/**
 * DynOPool sampling geometry: input [N, C, H, W], output [N, C, OH, OW] with OH = round(h),
 * OW = round(w), and the continuous sizes h, w that place the query points.
 */
export interface DynoGeometry {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly OH: number; readonly OW: number;
  readonly h: number; readonly w: number;
}

export interface Backend {
  readonly name: string;

  /** Wraps values as storage (the backend may take ownership of the array). */
  fromValues(values: TypedArray): Storage;
  /** A fresh host copy of the values. */
  toValues(x: Storage): TypedArray;

  unary(op: UnaryKernel, x: Storage): Storage;
  /** clamp(x, lo, hi) = min(max(x, lo), hi). */
  clamp(x: Storage, lo: number, hi: number): Storage;
  binary(op: BinaryKernel, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage;
  cast(x: Storage, dtype: DType): Storage;
  /** out[i] = cond[i] !== 0 ? a[i] : b[i], all three of the same size. */
  where(cond: Storage, a: Storage, b: Storage): Storage;

  /** Reduces `axes` (sorted, unique); the result has those axes kept as size 1. */
  reduce(op: ReduceKernel, x: Storage, shape: Shape, axes: readonly number[]): Storage;

  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage;
  expand(x: Storage, shape: Shape, outShape: Shape): Storage;
  slice(x: Storage, shape: Shape, begin: readonly number[], size: readonly number[]): Storage;
  pad(x: Storage, shape: Shape, pads: readonly (readonly [number, number])[], value: number): Storage;
  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number): Storage;

  /** Batched matmul: a [B, M, K] (or [B, K, M] if transA) times b [B, K, N] (or [B, N, K]). */
  matmul(a: Storage, b: Storage, B: number, M: number, K: number, N: number, transA: boolean, transB: boolean): Storage;

  conv2d(x: Storage, w: Storage, g: ConvGeometry): Storage;
  conv2dGradInput(dy: Storage, w: Storage, g: ConvGeometry): Storage;
  conv2dGradWeight(x: Storage, dy: Storage, g: ConvGeometry): Storage;

  maxPool2d(x: Storage, g: PoolGeometry): Storage;
  /** Recomputes each window's first maximum from x and routes dy there (a gather per input pixel). */
  maxPool2dGrad(x: Storage, dy: Storage, g: PoolGeometry): Storage;
  avgPool2d(x: Storage, g: PoolGeometry): Storage;
  avgPool2dGrad(dy: Storage, g: PoolGeometry): Storage;

  /** Per-channel batch mean and biased variance of x [N, C, H, W] (each of size C). */
  batchNormStats(x: Storage, N: number, C: number, HW: number): { mean: Storage; variance: Storage };
  /** y = (x - mean) * invStd * weight + bias, per channel. */
  batchNormApply(x: Storage, mean: Storage, invStd: Storage, weight: Storage, bias: Storage, N: number, C: number, HW: number): Storage;
  /**
   * Gradients of batchNormApply. In training mode mean and invStd are the batch statistics and
   * dx includes the paths through them; in eval mode they are constants.
   */
  batchNormBackward(
    x: Storage, dy: Storage, mean: Storage, invStd: Storage, weight: Storage,
    N: number, C: number, HW: number, training: boolean,
  ): { dx: Storage; dweight: Storage; dbias: Storage };

  dynoSample(x: Storage, g: DynoGeometry): Storage;
  /**
   * Both gradients of dynoSample from one pass over the winners: dx, and d/dh, d/dw summed over
   * every output cell (row/column counts held fixed; two numbers, read back to the host).
   */
  dynoSampleBackward(x: Storage, dy: Storage, g: DynoGeometry): { dx: Storage; dh: number; dw: number };
}
