/**
 * CPU reference kernels for conv2d (NCHW input, OIHW weight [OC, C / groups, KH, KW]).
 * Float64 accumulation, zero padding by skipping out-of-range taps.
 *
 * All three kernels walk the same taps: for every (n, oc, input channel of its group, kh, kw,
 * output row oh) whose input row is in range, the output columns ow whose input column
 * iw = ow * strideW + iw0 is in range form one contiguous run [owLo, owHi). `forEachTapRow`
 * enumerates these runs; each kernel does its own arithmetic along a run.
 */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import * as decl from './conv2d.kernels.js';
import type { ConvGeometry } from './conv2d.kernels.js';
import { dtypeOf, fromFloat64, type TypedArray } from '../../tensor/dtype.js';

type TapRow = (xRow: number, wIndex: number, yRow: number, owLo: number, owHi: number, iw0: number) => void;

function forEachTapRow(g: ConvGeometry, visit: TapRow): void {
  const { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups } = g;
  const Cg = C / groups,
    OCg = OC / groups;
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const grp = Math.floor(oc / OCg);
      const yBase = (n * OC + oc) * OH * OW;
      for (let icg = 0; icg < Cg; icg++) {
        const xBase = (n * C + grp * Cg + icg) * H * W;
        const wBase = (oc * Cg + icg) * KH * KW;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const iw0 = kw * dilationW - padW;
            const owLo = Math.max(0, Math.ceil(-iw0 / strideW));
            const owHi = Math.min(OW, Math.floor((W - 1 - iw0) / strideW) + 1);
            if (owLo >= owHi) continue;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * strideH - padH + kh * dilationH;
              if (ih >= 0 && ih < H) visit(xBase + ih * W, wBase + kh * KW + kw, yBase + oh * OW, owLo, owHi, iw0);
            }
          }
        }
      }
    }
  }
}

/** y[n, oc, oh, ow] = sum_{ic in group(oc), kh, kw} x[n, ic, oh*s - p + kh*d, ...] * w[oc, ic', kh, kw] */
export function conv2dCpu(x: TypedArray, w: TypedArray, g: ConvGeometry): TypedArray {
  const acc = new Float64Array(g.N * g.OC * g.OH * g.OW);
  const sw = g.strideW;
  forEachTapRow(g, (xRow, wi, yRow, lo, hi, iw0) => {
    const wv = w[wi];
    for (let ow = lo, xi = xRow + lo * sw + iw0; ow < hi; ow++, xi += sw) acc[yRow + ow] += x[xi] * wv;
  });
  return fromFloat64(acc, dtypeOf(x));
}

/** dx[n, ic, ih, iw] = sum over the (oc, kh, kw, oh, ow) taps that read x[n, ic, ih, iw] of dy * w. */
export function conv2dGradInputCpu(dy: TypedArray, w: TypedArray, g: ConvGeometry): TypedArray {
  const acc = new Float64Array(g.N * g.C * g.H * g.W);
  const sw = g.strideW;
  forEachTapRow(g, (xRow, wi, yRow, lo, hi, iw0) => {
    const wv = w[wi];
    for (let ow = lo, xi = xRow + lo * sw + iw0; ow < hi; ow++, xi += sw) acc[xi] += dy[yRow + ow] * wv;
  });
  return fromFloat64(acc, dtypeOf(dy));
}

/** dw[oc, ic', kh, kw] = sum_{n, oh, ow} dy[n, oc, oh, ow] * x[n, ic, oh*s - p + kh*d, ...] */
export function conv2dGradWeightCpu(x: TypedArray, dy: TypedArray, g: ConvGeometry): TypedArray {
  const acc = new Float64Array(g.OC * (g.C / g.groups) * g.KH * g.KW);
  const sw = g.strideW;
  forEachTapRow(g, (xRow, wi, yRow, lo, hi, iw0) => {
    let s = 0;
    for (let ow = lo, xi = xRow + lo * sw + iw0; ow < hi; ow++, xi += sw) s += dy[yRow + ow] * x[xi];
    acc[wi] += s;
  });
  return fromFloat64(acc, dtypeOf(x));
}

export const conv2dCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(decl.conv2dKernel, ([x, w], g) => conv2dCpu(x, w, g)),
  cpuImpl(decl.conv2dGradInputKernel, ([dy, w], g) => conv2dGradInputCpu(dy, w, g)),
  cpuImpl(decl.conv2dGradWeightKernel, ([x, dy], g) => conv2dGradWeightCpu(x, dy, g)),
];
