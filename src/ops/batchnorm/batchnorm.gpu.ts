/**
 * gpu.js kernels for batchnorm2d (float32), x [N, C, H, W] with HW = H * W:
 *   mean      thread per channel: the mean over N and HW
 *   variance  thread per channel: the biased variance, second pass around that mean
 *   apply     thread per element: (x - mean) * invStd * weight + bias
 *   sums      thread per channel: sum dy (part 0), or sum dy * xhat (part 1)
 *   grad x    thread per element, from the sums (training: through the batch statistics)
 */
import {
  gpuImpl,
  type Constants,
  type GpuKernelImpl,
  type KernelCache,
  type KernelData,
} from '../../backend/gpu/runtime.js';
import * as decl from './batchnorm.kernels.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

function meanKernel(this: K, x: Float32Array): number {
  const c = this.thread.x;
  let s = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) s += x[(n * this.constants.C + c) * this.constants.HW + i];
  }
  return s / (this.constants.N * this.constants.HW);
}

function varianceKernel(this: K, x: Float32Array, mean: Float32Array): number {
  const c = this.thread.x;
  const m = mean[c];
  let q = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) {
      const d = x[(n * this.constants.C + c) * this.constants.HW + i] - m;
      q += d * d;
    }
  }
  return q / (this.constants.N * this.constants.HW);
}

function applyKernel(
  this: K,
  x: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  weight: Float32Array,
  bias: Float32Array,
): number {
  const idx = this.thread.x;
  const q = Math.floor((idx + 0.5) / this.constants.HW);
  const c = q - Math.floor((q + 0.5) / this.constants.C) * this.constants.C;
  return (x[idx] - mean[c]) * invStd[c] * weight[c] + bias[c];
}

function sumsKernel(this: K, x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array): number {
  const c = this.thread.x;
  let s = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) {
      const o = (n * this.constants.C + c) * this.constants.HW + i;
      if (this.constants.part === 0) s += dy[o];
      else s += dy[o] * (x[o] - mean[c]) * invStd[c];
    }
  }
  return s;
}

function gradXKernel(
  this: K,
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  weight: Float32Array,
  sumDy: Float32Array,
  sumDyXhat: Float32Array,
): number {
  const idx = this.thread.x;
  const q = Math.floor((idx + 0.5) / this.constants.HW);
  const c = q - Math.floor((q + 0.5) / this.constants.C) * this.constants.C;
  const k = weight[c] * invStd[c];
  if (this.constants.training === 0) return k * dy[idx];
  const M = this.constants.N * this.constants.HW;
  const xhat = (x[idx] - mean[c]) * invStd[c];
  return (k / M) * (M * dy[idx] - sumDy[c] - xhat * sumDyXhat[c]);
}

const consts = (N: number, C: number, HW: number, extra: Constants = {}): Constants => ({ N, C, HW, ...extra });

export function batchNormStatsGpu(
  k: KernelCache,
  x: KernelData,
  N: number,
  C: number,
  HW: number,
): { mean: KernelData; variance: KernelData } {
  const mean = k.run('batchNormMean', meanKernel, consts(N, C, HW), C, [x]);
  return { mean, variance: k.run('batchNormVariance', varianceKernel, consts(N, C, HW), C, [x, mean]) };
}

export function batchNormApplyGpu(
  k: KernelCache,
  x: KernelData,
  mean: KernelData,
  invStd: KernelData,
  weight: KernelData,
  bias: KernelData,
  N: number,
  C: number,
  HW: number,
): KernelData {
  return k.run('batchNormApply', applyKernel, consts(N, C, HW), N * C * HW, [x, mean, invStd, weight, bias]);
}

export function batchNormBackwardGpu(
  k: KernelCache,
  x: KernelData,
  dy: KernelData,
  mean: KernelData,
  invStd: KernelData,
  weight: KernelData,
  N: number,
  C: number,
  HW: number,
  training: boolean,
): { dx: KernelData; dweight: KernelData; dbias: KernelData } {
  const dbias = k.run('batchNormSums', sumsKernel, consts(N, C, HW, { part: 0 }), C, [x, dy, mean, invStd]);
  const dweight = k.run('batchNormSums', sumsKernel, consts(N, C, HW, { part: 1 }), C, [x, dy, mean, invStd]);
  const dx = k.run('batchNormGradX', gradXKernel, consts(N, C, HW, { training: training ? 1 : 0 }), N * C * HW, [
    x,
    dy,
    mean,
    invStd,
    weight,
    dbias,
    dweight,
  ]);
  return { dx, dweight, dbias };
}

export const batchNormGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(decl.batchNormStatsKernel, (k, [x], { N, C, HW }) => {
    const r = batchNormStatsGpu(k, x, N, C, HW);
    return [r.mean, r.variance];
  }),
  gpuImpl(decl.batchNormApplyKernel, (k, [x, m, is, w, b], { N, C, HW }) =>
    batchNormApplyGpu(k, x, m, is, w, b, N, C, HW),
  ),
  gpuImpl(decl.batchNormBackwardKernel, (k, [x, dy, m, is, w], { N, C, HW, training }) => {
    const r = batchNormBackwardGpu(k, x, dy, m, is, w, N, C, HW, training);
    return [r.dx, r.dweight, r.dbias];
  }),
];
