/**
 * gpu.js kernels for data movement (float32). permute, expand, slice and pad are one kernel: a
 * thread per output element reads
 *     x[offset + sum_d (c_d - lo_d) * stride_d]   if 0 <= c_d - lo_d < in_d for every d,
 *     fill                                        otherwise,
 * where c is the output coordinate. The geometry travels as a small table (`windowSpec`), so
 * one compiled kernel serves every shape of a given output size. concat joins two tensors at a
 * time along an axis.
 */
import { gpuImpl, release, type GpuKernelImpl, type KernelCache, type KernelData } from '../../backend/gpu/runtime.js';
import * as decl from './movement.kernels.js';
import { broadcastStrides, sizeOf, stridesOf, type Shape } from '../../tensor/shape.js';
import { padRank } from '../elementwise/elementwise.gpu.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

function windowKernel(this: K, x: Float32Array, spec: Float32Array): number {
  // spec = [out dims (6) | strides (6) | lo (6) | in dims (6) | offset | fill]
  let rest = this.thread.x;
  let src = spec[24];
  let inside = 1;
  for (let d = 5; d >= 0; d--) {
    const n = spec[d];
    const q = Math.floor((rest + 0.5) / n);
    const i = rest - q * n - spec[12 + d];
    rest = q;
    if (i < 0 || i >= spec[18 + d]) inside = 0;
    src += i * spec[6 + d];
  }
  if (inside === 0) return spec[25];
  return x[src];
}

function concatKernel(this: K, a: Float32Array, b: Float32Array): number {
  // rows of A values from a then B values from b, per outer index
  const idx = this.thread.x;
  const row = this.constants.A + this.constants.B;
  const q = Math.floor((idx + 0.5) / row);
  const r = idx - q * row;
  if (r < this.constants.A) return a[q * this.constants.A + r];
  return b[q * this.constants.B + r - this.constants.A];
}

interface Window {
  outShape: Shape;
  strides: readonly number[];
  lo?: readonly number[];
  inDims?: readonly number[];
  offset?: number;
  fill?: number;
}

function windowSpec(w: Window): Float32Array {
  return Float32Array.from([
    ...padRank(w.outShape, 1),
    ...padRank(w.strides, 0),
    ...padRank(w.lo ?? w.outShape.map(() => 0), 0),
    ...padRank(w.inDims ?? w.outShape, 1),
    w.offset ?? 0,
    w.fill ?? 0,
  ]);
}

function gather(k: KernelCache, x: KernelData, w: Window): KernelData {
  return k.run('window', windowKernel, {}, sizeOf(w.outShape), [x, windowSpec(w)]);
}

/** out[c] = x[offset + sum_d c_d * strides[d]] for every coordinate c of outShape (strides may be negative). */
export function stridedGpu(
  k: KernelCache,
  x: KernelData,
  outShape: Shape,
  strides: readonly number[],
  offset: number,
): KernelData {
  return gather(k, x, { outShape, strides, offset });
}

export function permuteGpu(k: KernelCache, x: KernelData, shape: Shape, perm: readonly number[]): KernelData {
  const st = stridesOf(shape);
  return gather(k, x, { outShape: perm.map((p) => shape[p]), strides: perm.map((p) => st[p]) });
}

export function expandGpu(k: KernelCache, x: KernelData, shape: Shape, outShape: Shape): KernelData {
  return gather(k, x, { outShape, strides: broadcastStrides(shape, outShape) });
}

export function sliceGpu(
  k: KernelCache,
  x: KernelData,
  shape: Shape,
  begin: readonly number[],
  size: readonly number[],
): KernelData {
  const st = stridesOf(shape);
  return gather(k, x, { outShape: size, strides: st, offset: begin.reduce((acc, b, d) => acc + b * st[d], 0) });
}

export function padGpu(
  k: KernelCache,
  x: KernelData,
  shape: Shape,
  pads: readonly (readonly [number, number])[],
  value: number,
): KernelData {
  const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  return gather(k, x, { outShape, strides: stridesOf(shape), lo: pads.map((p) => p[0]), inDims: shape, fill: value });
}

export function concatGpu(
  k: KernelCache,
  xs: readonly KernelData[],
  shapes: readonly Shape[],
  axis: number,
): KernelData {
  const inner = sizeOf(shapes[0].slice(axis + 1));
  const outer = sizeOf(shapes[0].slice(0, axis));
  if (xs.length === 1) return gather(k, xs[0], { outShape: shapes[0], strides: stridesOf(shapes[0]) });
  let acc = xs[0];
  let accLen = shapes[0][axis];
  for (let i = 1; i < xs.length; i++) {
    const A = accLen * inner,
      B = shapes[i][axis] * inner;
    const joined = k.run('concat', concatKernel, { A, B }, outer * (A + B), [acc, xs[i]]);
    if (i > 1) release(acc);
    acc = joined;
    accLen += shapes[i][axis];
  }
  return acc;
}

export const movementGpu: readonly GpuKernelImpl[] = [
  gpuImpl(decl.permuteKernel, (k, [x], { perm }, s) => permuteGpu(k, x, s.inputs[0], perm)),
  gpuImpl(decl.expandKernel, (k, [x], { shape }, s) => expandGpu(k, x, s.inputs[0], shape)),
  gpuImpl(decl.sliceKernel, (k, [x], { begin, size }, s) => sliceGpu(k, x, s.inputs[0], begin, size)),
  gpuImpl(decl.padKernel, (k, [x], { pads, value }, s) => padGpu(k, x, s.inputs[0], pads, value)),
  gpuImpl(decl.concatKernel, (k, xs, { axis }, s) => concatGpu(k, xs, s.inputs, axis)),
];
