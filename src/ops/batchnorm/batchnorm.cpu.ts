/** CPU reference kernels for 2-D batch normalisation over x [N, C, H, W] (HW = H * W). */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import * as decl from './batchnorm.kernels.js';
import { allocate, dtypeOf, fromFloat64, type TypedArray } from '../../tensor/dtype.js';

export function batchNormStatsCpu(
  x: TypedArray,
  N: number,
  C: number,
  HW: number,
): { mean: TypedArray; variance: TypedArray } {
  const M = N * HW;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * HW; i < HW; i++) s += x[o + i];
    const m = s / M;
    let q = 0; // two-pass variance: no catastrophic cancellation
    for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * HW; i < HW; i++) q += (x[o + i] - m) ** 2;
    mean[c] = m;
    variance[c] = q / M;
  }
  const dt = dtypeOf(x);
  return { mean: fromFloat64(mean, dt), variance: fromFloat64(variance, dt) };
}

export function batchNormApplyCpu(
  x: TypedArray,
  mean: TypedArray,
  invStd: TypedArray,
  weight: TypedArray,
  bias: TypedArray,
  N: number,
  C: number,
  HW: number,
): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const scale = invStd[c] * weight[c];
      const m = mean[c],
        b = bias[c];
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) out[o + i] = (x[o + i] - m) * scale + b;
    }
  }
  return out;
}

/**
 * With xhat = (x - mean) * invStd and M = N * HW values per channel:
 *   dbias = sum(dy), dweight = sum(dy * xhat),
 *   training: dx = weight * invStd / M * (M * dy - dbias - xhat * dweight)
 *   eval:     dx = weight * invStd * dy
 */
export function batchNormBackwardCpu(
  x: TypedArray,
  dy: TypedArray,
  mean: TypedArray,
  invStd: TypedArray,
  weight: TypedArray,
  N: number,
  C: number,
  HW: number,
  training: boolean,
): { dx: TypedArray; dweight: TypedArray; dbias: TypedArray } {
  const M = N * HW;
  const dx = new Float64Array(x.length);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const m = mean[c],
      is = invStd[c];
    let sdy = 0,
      sdyx = 0;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) {
        sdy += dy[o + i];
        sdyx += dy[o + i] * (x[o + i] - m) * is;
      }
    }
    dbias[c] = sdy;
    dweight[c] = sdyx;
    const k = weight[c] * is;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) {
        dx[o + i] = training ? (k / M) * (M * dy[o + i] - sdy - (x[o + i] - m) * is * sdyx) : k * dy[o + i];
      }
    }
  }
  const dt = dtypeOf(x);
  return { dx: fromFloat64(dx, dt), dweight: fromFloat64(dweight, dt), dbias: fromFloat64(dbias, dt) };
}

export const batchNormCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(decl.batchNormStatsKernel, ([x], { N, C, HW }) => {
    const r = batchNormStatsCpu(x, N, C, HW);
    return [r.mean, r.variance];
  }),
  cpuImpl(decl.batchNormApplyKernel, ([x, m, is, w, b], { N, C, HW }) => batchNormApplyCpu(x, m, is, w, b, N, C, HW)),
  cpuImpl(decl.batchNormBackwardKernel, ([x, dy, m, is, w], { N, C, HW, training }) => {
    const r = batchNormBackwardCpu(x, dy, m, is, w, N, C, HW, training);
    return [r.dx, r.dweight, r.dbias];
  }),
];
