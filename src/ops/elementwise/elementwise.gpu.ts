/**
 * gpu.js kernels for the elementwise ops (float32), one thread per output element:
 *   unary     op chosen by a constant (compiled once per op)
 *   binary    op chosen by a constant; layout 0 = equal shapes, 1 = b is one value,
 *             2 = general NumPy broadcasting through a stride table (see `broadcastSpec`)
 *   clamp     bounds passed as a 2-value array (they may be infinite, which GLSL literals
 *             cannot express)
 *   where     cond !== 0 ? a : b
 * Conventions equal the reference's (elementwise.cpu.ts): round(x) = floor(x + 0.5), sign(0) = 0,
 * step(0) = 0, maximum/minimum pick a on ties. pow with a negative base is defined for integer
 * exponents only (GLSL's pow is undefined there, so the kernel takes |a| and fixes the sign).
 *
 * NaN as the reference (and PyTorch): relu, maximum / minimum and clamp propagate it, with an
 * explicit `v !== v` test (gpu.js emits `v != v` in GLSL, `f32.ne` in WebAssembly): GLSL's
 * max / min drop a NaN operand on Mesa llvmpipe (max(NaN, 0) = 0, measured), and a bare
 * comparison would pick the other operand. Comparisons need no test: they are false with a NaN
 * side on every mode (measured), as IEEE orders them.
 */
import {
  gpuImpl,
  type GpuKernelImpl,
  type KernelCache,
  type KernelData,
  type GpuThis,
} from '../../backend/gpu/runtime.js';
import * as decl from './elementwise.kernels.js';
import type { BinaryKernel, UnaryKernel } from './elementwise.kernels.js';
import { broadcastStrides, sizeOf, type Shape } from '../../tensor/shape.js';

export const UNARY_CODES: Record<UnaryKernel, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  relu: 5,
  sigmoid: 6,
  tanh: 7,
  floor: 8,
  round: 9,
  sign: 10,
  step: 11,
};
export const BINARY_CODES: Record<BinaryKernel, number> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  gt: 8,
  ge: 9,
  lt: 10,
  le: 11,
  reluGrad: 12,
};

function unaryKernel(this: GpuThis, x: Float32Array): number {
  const v = x[this.thread.x];
  const op = this.constants.op;
  if (op === 0) return -v;
  if (op === 1) return Math.exp(v);
  if (op === 2) return Math.log(v);
  if (op === 3) return Math.sqrt(v);
  if (op === 4) return Math.abs(v);
  if (op === 5) return v > 0 || v !== v ? v : 0;
  if (op === 6) {
    // stable in both tails: exp of a non-positive number only
    const e = Math.exp(-Math.abs(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  if (op === 7) {
    const t = Math.exp(-2 * Math.abs(v));
    const r = (1 - t) / (1 + t);
    return v < 0 ? -r : r;
  }
  if (op === 8) return Math.floor(v);
  if (op === 9) return Math.floor(v + 0.5);
  if (op === 10) return v > 0 ? 1 : v < 0 ? -1 : 0;
  return v > 0 ? 1 : 0;
}

function binaryKernel(this: GpuThis, a: Float32Array, b: Float32Array, spec: Float32Array): number {
  const idx = this.thread.x;
  let ia = idx;
  let ib = idx;
  if (this.constants.layout === 1) ib = 0;
  if (this.constants.layout === 2) {
    // spec = [out dims (6) | a strides (6) | b strides (6)], innermost dim last
    let rest = idx;
    ia = 0;
    ib = 0;
    for (let d = 5; d >= 0; d--) {
      const n = spec[d];
      const q = Math.floor((rest + 0.5) / n);
      const c = rest - q * n;
      rest = q;
      ia += c * spec[6 + d];
      ib += c * spec[12 + d];
    }
  }
  const x = a[ia];
  const y = b[ib];
  const op = this.constants.op;
  if (op === 0) return x + y;
  if (op === 1) return x - y;
  if (op === 2) return x * y;
  if (op === 3) return x / y;
  if (op === 4) {
    if (x >= 0) return Math.pow(x, y);
    const r = Math.pow(-x, y);
    const half = Math.floor(y / 2 + 0.25);
    return y - 2 * half > 0.5 ? -r : r;
  }
  if (op === 5) return x >= y || x !== x ? x : y;
  if (op === 6) return x <= y || x !== x ? x : y;
  if (op === 7) return x === y ? 1 : 0;
  if (op === 8) return x > y ? 1 : 0;
  if (op === 9) return x >= y ? 1 : 0;
  if (op === 10) return x < y ? 1 : 0;
  if (op === 11) return x <= y ? 1 : 0;
  return x <= 0 ? 0 : y;
}

function clampKernel(this: GpuThis, x: Float32Array, bounds: Float32Array): number {
  const v = x[this.thread.x];
  // GLSL's max / min return the other operand for a NaN
  if (v !== v) return v;
  return Math.min(Math.max(v, bounds[0]), bounds[1]);
}

function whereKernel(this: GpuThis, cond: Float32Array, a: Float32Array, b: Float32Array): number {
  const i = this.thread.x;
  return cond[i] !== 0 ? a[i] : b[i];
}

/** leakyRelu(x) = x > 0 ? x : slope * x; the slope is a 1-value array (one compile for every slope). */
function leakyReluKernel(this: GpuThis, x: Float32Array, slope: Float32Array): number {
  const v = x[this.thread.x];
  return v > 0 ? v : slope[0] * v;
}

export const MAX_GPU_RANK = 6;

/** Left-pads a per-dimension list to MAX_GPU_RANK entries. */
export function padRank(values: readonly number[], fill: number): number[] {
  if (values.length > MAX_GPU_RANK)
    throw new Error(
      `gpu backend: tensors of rank ${values.length} exceed the gpu.js kernels' rank limit ${MAX_GPU_RANK}`,
    );
  return [...new Array<number>(MAX_GPU_RANK - values.length).fill(fill), ...values];
}

/** The stride table of a broadcasting binary op: [out dims | a strides | b strides]. */
export function broadcastSpec(aShape: Shape, bShape: Shape, outShape: Shape): Float32Array {
  return Float32Array.from([
    ...padRank(outShape, 1),
    ...padRank(broadcastStrides(aShape, outShape), 0),
    ...padRank(broadcastStrides(bShape, outShape), 0),
  ]);
}

/** The stride table argument when layout 0 / 1 does not read it. */
const NO_SPEC = new Float32Array(18);

export function unaryGpu(k: KernelCache, op: UnaryKernel, x: KernelData, n: number): KernelData {
  return k.run('unary', unaryKernel, { op: UNARY_CODES[op] }, n, [x]);
}

export function binaryGpu(
  k: KernelCache,
  op: BinaryKernel,
  a: KernelData,
  aShape: Shape,
  b: KernelData,
  bShape: Shape,
  outShape: Shape,
): KernelData {
  const n = outShape.reduce((p, d) => p * d, 1);
  const aSize = aShape.reduce((p, d) => p * d, 1),
    bSize = bShape.reduce((p, d) => p * d, 1);
  const layout = aSize === n && bSize === n ? 0 : aSize === n && bSize === 1 ? 1 : 2;
  const spec = layout === 2 ? broadcastSpec(aShape, bShape, outShape) : NO_SPEC;
  return k.run('binary', binaryKernel, { op: BINARY_CODES[op], layout }, n, [a, b, spec]);
}

export function clampGpu(k: KernelCache, x: KernelData, n: number, lo: number, hi: number): KernelData {
  return k.run('clamp', clampKernel, {}, n, [x, Float32Array.of(lo, hi)]);
}

export function whereGpu(k: KernelCache, cond: KernelData, a: KernelData, b: KernelData, n: number): KernelData {
  return k.run('where', whereKernel, {}, n, [cond, a, b]);
}

export function leakyReluGpu(k: KernelCache, x: KernelData, n: number, slope: number): KernelData {
  return k.run('leakyRelu', leakyReluKernel, {}, n, [x, Float32Array.of(slope)]);
}

/** The gpu.js implementations of the elementwise kernels (cast has none: it converts on the host). */
export const elementwiseGpu: readonly GpuKernelImpl[] = [
  gpuImpl(decl.unaryKernel, (k, [x], { op }, s) => unaryGpu(k, op, x, sizeOf(s.outputs[0]))),
  gpuImpl(decl.binaryKernel, (k, [a, b], { op }, s) => binaryGpu(k, op, a, s.inputs[0], b, s.inputs[1], s.outputs[0])),
  gpuImpl(decl.clampKernel, (k, [x], { lo, hi }, s) => clampGpu(k, x, sizeOf(s.outputs[0]), lo, hi)),
  gpuImpl(decl.whereKernel, (k, [c, a, b], _, s) => whereGpu(k, c, a, b, sizeOf(s.outputs[0]))),
  gpuImpl(decl.leakyReluKernel, (k, [x], { slope }, s) => leakyReluGpu(k, x, sizeOf(s.outputs[0]), slope)),
];
