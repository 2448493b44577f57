/** CPU reference kernels for 2-D max and average pooling (NCHW). */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import * as decl from './pool.kernels.js';
import type { PoolGeometry } from './pool.kernels.js';
import { allocate, dtypeOf, fromFloat64, type TypedArray } from '../../tensor/dtype.js';

/** Calls fn(inputIndex) for every in-bounds tap of window (oh, ow), row-major; returns the count. */
function forEachTap(base: number, oh: number, ow: number, g: PoolGeometry, fn: (i: number) => void): number {
  const { H, W, KH, KW, strideH, strideW, padH, padW } = g;
  let count = 0;
  for (let kh = 0; kh < KH; kh++) {
    const ih = oh * strideH - padH + kh;
    if (ih < 0 || ih >= H) continue;
    for (let kw = 0; kw < KW; kw++) {
      const iw = ow * strideW - padW + kw;
      if (iw < 0 || iw >= W) continue;
      count++;
      fn(base + ih * W + iw);
    }
  }
  return count;
}

/**
 * Index (into x) of the first maximum of window (n, c, oh, ow), scanning rows then columns;
 * padding never wins (it counts as -infinity). NaN wins over everything, like PyTorch.
 */
function argmaxWindow(x: TypedArray, base: number, oh: number, ow: number, g: PoolGeometry): number {
  let best = -1;
  let bestV = -Infinity;
  forEachTap(base, oh, ow, g, (i) => {
    const v = x[i];
    if (best < 0 || v > bestV || (Number.isNaN(v) && !Number.isNaN(bestV))) {
      best = i;
      bestV = v;
    }
  });
  return best;
}

export function maxPool2dCpu(x: TypedArray, g: PoolGeometry): TypedArray {
  const { N, C, H, W, OH, OW } = g;
  const out = allocate(dtypeOf(x), N * C * OH * OW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) out[o++] = x[argmaxWindow(x, base, oh, ow, g)];
  }
  return out;
}

export function maxPool2dGradCpu(x: TypedArray, dy: TypedArray, g: PoolGeometry): TypedArray {
  const { N, C, H, W, OH, OW } = g;
  const acc = new Float64Array(N * C * H * W);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) acc[argmaxWindow(x, base, oh, ow, g)] += dy[o++];
  }
  return fromFloat64(acc, dtypeOf(x));
}

/** Visits the in-bounds taps of window (oh, ow); returns avgPool2d's divisor. */
function avgWindow(base: number, oh: number, ow: number, g: PoolGeometry, fn: (i: number) => void): number {
  const count = forEachTap(base, oh, ow, g, fn);
  return g.countIncludePad ? g.KH * g.KW : count;
}

export function avgPool2dCpu(x: TypedArray, g: PoolGeometry): TypedArray {
  const { N, C, H, W, OH, OW } = g;
  const out = allocate(dtypeOf(x), N * C * OH * OW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let s = 0;
        const div = avgWindow(base, oh, ow, g, (i) => {
          s += x[i];
        });
        out[o++] = s / div;
      }
    }
  }
  return out;
}

export function avgPool2dGradCpu(dy: TypedArray, g: PoolGeometry): TypedArray {
  const { N, C, H, W, OH, OW } = g;
  const acc = new Float64Array(N * C * H * W);
  const taps: number[] = [];
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        taps.length = 0;
        const div = avgWindow(base, oh, ow, g, (i) => {
          taps.push(i);
        });
        const share = dy[o++] / div;
        for (const i of taps) acc[i] += share;
      }
    }
  }
  return fromFloat64(acc, dtypeOf(dy));
}

export const poolCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(decl.maxPool2dKernel, ([x], g) => maxPool2dCpu(x, g)),
  cpuImpl(decl.maxPool2dGradKernel, ([x, dy], g) => maxPool2dGradCpu(x, dy, g)),
  cpuImpl(decl.avgPool2dKernel, ([x], g) => avgPool2dCpu(x, g)),
  cpuImpl(decl.avgPool2dGradKernel, ([dy], g) => avgPool2dGradCpu(dy, g)),
];
