/** CPU reference kernels for data movement: permute, expand, slice, pad, concat. */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import { allocate, dtypeOf, type TypedArray } from '../../tensor/dtype.js';
import * as decl from './movement.kernels.js';
import { broadcastStrides, sizeOf, stridesOf, type Shape } from '../../tensor/shape.js';

/**
 * Copies a strided view into a fresh contiguous array: element `idx` of the result reads
 * `x[offset + sum(idx[d] * strides[d])]`. Permute, expand and slice are all this one loop.
 */
export function gatherStrided(x: TypedArray, outShape: Shape, strides: readonly number[], offset: number): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtypeOf(x), n);
  const nd = outShape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = offset;
  for (let i = 0; i < n; i++) {
    out[i] = x[src];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) {
        src += strides[d];
        break;
      }
      idx[d] = 0;
      src -= strides[d] * (outShape[d] - 1);
    }
  }
  return out;
}

export function permuteCpu(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray {
  const st = stridesOf(shape);
  return gatherStrided(
    x,
    perm.map((p) => shape[p]),
    perm.map((p) => st[p]),
    0,
  );
}

export function expandCpu(x: TypedArray, shape: Shape, outShape: Shape): TypedArray {
  return gatherStrided(x, outShape, broadcastStrides(shape, outShape), 0);
}

export function sliceCpu(x: TypedArray, shape: Shape, begin: readonly number[], size: readonly number[]): TypedArray {
  const st = stridesOf(shape);
  const offset = begin.reduce((acc, b, d) => acc + b * st[d], 0);
  return gatherStrided(x, size, st, offset);
}

/** Writes `x` (shape `shape`) into `out` (shape `outShape`) starting at `begin`. */
function scatterBlock(out: TypedArray, outShape: Shape, x: TypedArray, shape: Shape, begin: readonly number[]): void {
  const ost = stridesOf(outShape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let dst = begin.reduce((acc, b, d) => acc + b * ost[d], 0);
  for (let i = 0; i < x.length; i++) {
    out[dst] = x[i];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        dst += ost[d];
        break;
      }
      idx[d] = 0;
      dst -= ost[d] * (shape[d] - 1);
    }
  }
}

export function padCpu(
  x: TypedArray,
  shape: Shape,
  pads: readonly (readonly [number, number])[],
  value: number,
): TypedArray {
  const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = allocate(dtypeOf(x), sizeOf(outShape));
  if (value !== 0) out.fill(value);
  scatterBlock(
    out,
    outShape,
    x,
    shape,
    pads.map((p) => p[0]),
  );
  return out;
}

export function concatCpu(xs: readonly TypedArray[], shapes: readonly Shape[], axis: number): TypedArray {
  const outShape = shapes[0].map((d, i) => (i === axis ? shapes.reduce((s, sh) => s + sh[axis], 0) : d));
  const out = allocate(dtypeOf(xs[0]), sizeOf(outShape));
  let at = 0;
  xs.forEach((x, k) => {
    scatterBlock(
      out,
      outShape,
      x,
      shapes[k],
      outShape.map((_, i) => (i === axis ? at : 0)),
    );
    at += shapes[k][axis];
  });
  return out;
}

export const movementCpu: readonly CpuKernelImpl[] = [
  cpuImpl(decl.permuteKernel, ([x], { perm }, s) => permuteCpu(x, s.inputs[0], perm)),
  cpuImpl(decl.expandKernel, ([x], { shape }, s) => expandCpu(x, s.inputs[0], shape)),
  cpuImpl(decl.sliceKernel, ([x], { begin, size }, s) => sliceCpu(x, s.inputs[0], begin, size)),
  cpuImpl(decl.padKernel, ([x], { pads, value }, s) => padCpu(x, s.inputs[0], pads, value)),
  cpuImpl(decl.concatKernel, (xs, { axis }, s) => concatCpu(xs, s.inputs, axis)),
];
