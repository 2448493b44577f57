/**
 * CPU reference kernels for the elementwise ops: float64 arithmetic, stored in the output dtype.
 * NaN propagates as in PyTorch: relu(NaN), maximum / minimum with a NaN operand and clamp(NaN)
 * are NaN; comparisons with NaN are false (eq too).
 */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import * as decl from './elementwise.kernels.js';
import type { BinaryKernel, UnaryKernel } from './elementwise.kernels.js';
import { allocate, dtypeOf, type DType, type TypedArray } from '../../tensor/dtype.js';
import { broadcastStrides, sameShape, sizeOf, type Shape } from '../../tensor/shape.js';

const UNARY: Record<UnaryKernel, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  relu: (x) => (x > 0 || x !== x ? x : 0),
  // Stable in both tails: never exp of a large positive number.
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  floor: Math.floor,
  round: (x) => Math.floor(x + 0.5),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  step: (x) => (x > 0 ? 1 : 0),
};

const BINARY: Record<BinaryKernel, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a >= b || a !== a ? a : b),
  minimum: (a, b) => (a <= b || a !== a ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  reluGrad: (x, dy) => (x <= 0 ? 0 : dy),
};

export function unaryCpu(op: UnaryKernel, x: TypedArray): TypedArray {
  const f = UNARY[op];
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export function clampCpu(x: TypedArray, lo: number, hi: number): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  // Math.max / Math.min propagate NaN
  for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(x[i], lo), hi);
  return out;
}

export function castCpu(x: TypedArray, dtype: DType): TypedArray {
  const out = allocate(dtype, x.length);
  out.set(x);
  return out;
}

export function binaryCpu(
  op: BinaryKernel,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
): TypedArray {
  const f = BINARY[op];
  const n = sizeOf(outShape);
  const out = allocate(dtypeOf(a), n);
  if (sameShape(aShape, bShape)) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  if (b.length === 1) {
    const bv = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
    return out;
  }
  if (a.length === 1) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return out;
  }
  // General case: walk the output in row-major order, advancing both input offsets.
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(nd).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = f(a[ia], b[ib]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) {
        ia += sa[d];
        ib += sb[d];
        break;
      }
      idx[d] = 0;
      ia -= sa[d] * (outShape[d] - 1);
      ib -= sb[d] * (outShape[d] - 1);
    }
  }
  return out;
}

export function whereCpu(cond: TypedArray, a: TypedArray, b: TypedArray): TypedArray {
  const out = allocate(dtypeOf(a), a.length);
  for (let i = 0; i < a.length; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  return out;
}

/**
 * leakyRelu(x) = x if x > 0, else slope * x (PyTorch's leaky_relu; x = 0 gives 0 either way).
 */
export function leakyReluCpu(x: TypedArray, slope: number): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : slope * x[i];
  return out;
}

/** The reference implementations of the elementwise kernels. */
export const elementwiseCpu: readonly CpuKernelImpl[] = [
  cpuImpl(decl.unaryKernel, ([x], { op }) => unaryCpu(op, x)),
  cpuImpl(decl.binaryKernel, ([a, b], { op }, s) => binaryCpu(op, a, s.inputs[0], b, s.inputs[1], s.outputs[0])),
  cpuImpl(decl.clampKernel, ([x], { lo, hi }) => clampCpu(x, lo, hi)),
  cpuImpl(decl.castKernel, ([x], { dtype }) => castCpu(x, dtype)),
  cpuImpl(decl.whereKernel, ([c, a, b]) => whereCpu(c, a, b)),
  cpuImpl(decl.leakyReluKernel, ([x], { slope }) => leakyReluCpu(x, slope)),
];
