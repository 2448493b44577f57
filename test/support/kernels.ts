/**
 * The kernel-level tests' view of a backend: one method per kernel with the old positional
 * arguments, each a `backend.run(kernel, ...)` call with the shapes from the declaration. The
 * wrapper inherits from the backend, so its other members (kernels, fallbacks) stay reachable.
 */
import fc from 'fast-check';
import type { Backend, Storage } from '../../src/backend/backend.js';
import { GpuStorage } from '../../src/backend/gpu/storage.js';
import { kernelShapes, type Kernel } from '../../src/backend/kernel.js';
import type { DType, TypedArray } from '../../src/tensor/dtype.js';
import type { Shape } from '../../src/tensor/shape.js';
import * as k from '../../src/ops/kernels.js';
import { arbSeed, valuesFor, withNonFinite } from '../../src/testing/index.js';

export interface LegacyKernels {
  fromValues(values: TypedArray): Storage;
  unary(op: k.UnaryKernel, x: Storage): Storage;
  leakyRelu(x: Storage, slope: number): Storage;
  clamp(x: Storage, lo: number, hi: number): Storage;
  binary(op: k.BinaryKernel, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage;
  cast(x: Storage, dtype: DType): Storage;
  where(cond: Storage, a: Storage, b: Storage): Storage;
  reduce(op: k.ReduceKernel, x: Storage, shape: Shape, axes: readonly number[]): Storage;
  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage;
  expand(x: Storage, shape: Shape, outShape: Shape): Storage;
  slice(x: Storage, shape: Shape, begin: readonly number[], size: readonly number[]): Storage;
  pad(x: Storage, shape: Shape, pads: readonly (readonly [number, number])[], value: number): Storage;
  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number): Storage;
  matmul(a: Storage, b: Storage, B: number, M: number, K: number, N: number, transA: boolean, transB: boolean): Storage;
  conv2d(x: Storage, w: Storage, g: k.ConvGeometry): Storage;
  conv2dGradInput(dy: Storage, w: Storage, g: k.ConvGeometry): Storage;
  conv2dGradWeight(x: Storage, dy: Storage, g: k.ConvGeometry): Storage;
  maxPool2d(x: Storage, g: k.PoolGeometry): Storage;
  maxPool2dGrad(x: Storage, dy: Storage, g: k.PoolGeometry): Storage;
  avgPool2d(x: Storage, g: k.PoolGeometry): Storage;
  avgPool2dGrad(dy: Storage, g: k.PoolGeometry): Storage;
  batchNormStats(x: Storage, N: number, C: number, HW: number): { mean: Storage; variance: Storage };
  batchNormApply(
    x: Storage,
    mean: Storage,
    invStd: Storage,
    weight: Storage,
    bias: Storage,
    N: number,
    C: number,
    HW: number,
  ): Storage;
  batchNormBackward(
    x: Storage,
    dy: Storage,
    mean: Storage,
    invStd: Storage,
    weight: Storage,
    N: number,
    C: number,
    HW: number,
    training: boolean,
  ): { dx: Storage; dweight: Storage; dbias: Storage };
  dynoSample(x: Storage, g: k.DynoGeometry): Storage;
  dynoSampleBackward(x: Storage, dy: Storage, g: k.DynoGeometry): { dx: Storage; dh: number; dw: number };
  /** [p', buf'] (p' alone when momentum is 0); `buf` null: the first step. */
  sgdUpdate(p: Storage, grad: Storage, buf: Storage | null, attrs: k.SgdAttrs): Storage[];
}

export function legacy<B extends Backend>(backend: B): B & LegacyKernels {
  /** Runs `kernel`; inputs without a given shape are taken as flat. */
  const run = <A>(kernel: Kernel<A>, inputs: readonly Storage[], attrs: A, shapes?: readonly Shape[]): Storage[] =>
    backend.run(
      kernel,
      inputs,
      attrs,
      kernelShapes(kernel, attrs, shapes ?? inputs.map((s) => [s.size]), inputs[0].dtype),
    );
  const one = <A>(kernel: Kernel<A>, inputs: readonly Storage[], attrs: A, shapes?: readonly Shape[]): Storage =>
    run(kernel, inputs, attrs, shapes)[0];
  const methods: LegacyKernels = {
    fromValues: (values) => backend.upload(values),
    unary: (op, x) => one(k.unaryKernel, [x], { op }),
    leakyRelu: (x, slope) => one(k.leakyReluKernel, [x], { slope }),
    clamp: (x, lo, hi) => one(k.clampKernel, [x], { lo, hi }),
    binary: (op, a, as, b, bs) => one(k.binaryKernel, [a, b], { op }, [as, bs]),
    cast: (x, dtype) => one(k.castKernel, [x], { dtype }),
    where: (c, a, b) => one(k.whereKernel, [c, a, b], {}),
    reduce: (op, x, shape, axes) => one(k.reduceKernel, [x], { op, axes }, [shape]),
    permute: (x, shape, perm) => one(k.permuteKernel, [x], { perm }, [shape]),
    expand: (x, shape, outShape) => one(k.expandKernel, [x], { shape: outShape }, [shape]),
    slice: (x, shape, begin, size) => one(k.sliceKernel, [x], { begin, size }, [shape]),
    pad: (x, shape, pads, value) => one(k.padKernel, [x], { pads, value }, [shape]),
    concat: (xs, shapes, axis) => one(k.concatKernel, xs, { axis }, shapes),
    matmul: (a, b, B, M, K, N, transA, transB) => one(k.matmulKernel, [a, b], { B, M, K, N, transA, transB }),
    conv2d: (x, w, g) => one(k.conv2dKernel, [x, w], g),
    conv2dGradInput: (dy, w, g) => one(k.conv2dGradInputKernel, [dy, w], g),
    conv2dGradWeight: (x, dy, g) => one(k.conv2dGradWeightKernel, [x, dy], g),
    maxPool2d: (x, g) => one(k.maxPool2dKernel, [x], g),
    maxPool2dGrad: (x, dy, g) => one(k.maxPool2dGradKernel, [x, dy], g),
    avgPool2d: (x, g) => one(k.avgPool2dKernel, [x], g),
    avgPool2dGrad: (dy, g) => one(k.avgPool2dGradKernel, [dy], g),
    batchNormStats: (x, N, C, HW) => {
      const [mean, variance] = run(k.batchNormStatsKernel, [x], { N, C, HW });
      return { mean, variance };
    },
    batchNormApply: (x, m, is, w, b, N, C, HW) => one(k.batchNormApplyKernel, [x, m, is, w, b], { N, C, HW }),
    batchNormBackward: (x, dy, m, is, w, N, C, HW, training) => {
      const [dx, dweight, dbias] = run(k.batchNormBackwardKernel, [x, dy, m, is, w], { N, C, HW, training });
      return { dx, dweight, dbias };
    },
    dynoSample: (x, g) => one(k.dynoSampleKernel, [x], g),
    dynoSampleBackward: (x, dy, g) => {
      // the winners come from this backend's forward, as the op saves them
      const winners = run(k.dynoSampleKernel, [x], g)[1];
      const [dx, dh, dw] = run(k.dynoSampleBackwardKernel, [x, dy, winners], g);
      return { dx, dh: dh.hostValues()[0], dw: dw.hostValues()[0] };
    },
    sgdUpdate: (p, grad, buf, attrs) => run(k.sgdUpdateKernel, buf ? [p, grad, buf] : [p, grad], attrs),
  };
  return Object.assign(Object.create(backend) as B, methods);
}

/** An SGD hyperparameter: off (0), its usual value, or anywhere in (0, max] (most not exact in float32). */
const arbSgdScalar = (usual: number, max: number) =>
  fc.oneof(fc.constant(0), fc.constant(usual), fc.double({ min: 1e-6, max, noNaN: true }));

/** A fused SGD update problem: every combination of terms, lengths 1 to 70 (most not multiples of 4). */
export const arbSgdCase = () =>
  fc.record({
    attrs: fc.record({
      lr: fc.oneof(fc.constant(0.01), fc.double({ min: 1e-6, max: 2, noNaN: true })),
      weightDecay: arbSgdScalar(5e-4, 0.5),
      momentum: arbSgdScalar(0.9, 1),
      dampening: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
      nesterov: fc.boolean(),
    }),
    n: fc.integer({ min: 1, max: 70 }),
    seed: arbSeed(),
    withBuffer: fc.boolean(),
  });

/** The operands of an SGD update problem (p, grad, the buffer or null), NaN and +-Inf mixed in. */
export function sgdOperands(c: { n: number; seed: number; withBuffer: boolean }): {
  p: Float64Array;
  grad: Float64Array;
  buf: Float64Array | null;
} {
  const v = (s: number, scale: number) =>
    withNonFinite(
      valuesFor([c.n], s).map((x) => x * scale),
      s,
      { rate: 0.05 },
    );
  return { p: v(c.seed, 3), grad: v(c.seed + 1, 1), buf: c.withBuffer ? v(c.seed + 2, 2) : null };
}

/** |v| with the non-finite values as 0: a tolerance magnitude for inputs that hold NaN / Inf. */
export const finiteAbs = (v: ArrayLike<number>): Float64Array =>
  Float64Array.from(v, (x) => (Number.isFinite(x) ? Math.abs(x) : 0));

/**
 * float32 values on a gpu backend's device: a host array marked as a kernel result, copied
 * once by a clamp(-inf, inf) kernel, so on GL modes the kernels under test read a texture.
 */
export function onDevice(gpu: Backend, v: ArrayLike<number>): Storage {
  const host = new GpuStorage(v.length, Float32Array.from(v), true);
  return legacy(gpu).clamp(host, -Infinity, Infinity);
}

/**
 * The float32 tolerance magnitudes of an SGD update problem's outputs [p', buf']: every term of
 * the formula taken positive (non-finite values as 0).
 */
export function sgdMagnitudes(
  c: { n: number; attrs: k.SgdAttrs },
  { p, grad, buf }: ReturnType<typeof sgdOperands>,
): [Float64Array, Float64Array] {
  const [ap, ag, ab] = [p, grad, buf ?? new Float64Array(c.n)].map(finiteAbs);
  const { lr, weightDecay: wd, momentum: mom, dampening, nesterov } = c.attrs;
  const mg = ag.map((g, i) => g + wd * ap[i]);
  const mb = buf ? mg.map((g, i) => ab[i] * mom + g * (1 - dampening)) : mg;
  const step = mom ? (nesterov ? mg.map((g, i) => g + mb[i] * mom) : mb) : mg;
  return [ap.map((x, i) => x + step[i] * lr), mb];
}
