/**
 * gpu.js kernels for batchnorm2d (float32), x [N, C, H, W] with HW = H * W:
 *   stats     thread per output of [mean(C) | biased var(C)]: a two-pass loop over its channel
 *   apply     thread per element: (x - mean) * invStd * weight + bias
 *   sums      thread per output of [sum dy (C) | sum dy * xhat (C)]
 *   grad x    thread per element, from the sums (training: through the batch statistics)
 */
import type { Constants, KernelCache } from '../../backend/gpu/runtime.js';

interface K { thread: { x: number }; constants: Record<string, number> }

function statsKernel(this: K, x: Float32Array): number {
  const idx = this.thread.x;
  const second = idx >= this.constants.C ? 1 : 0;
  const c = idx - second * this.constants.C;
  let s = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) s += x[(n * this.constants.C + c) * this.constants.HW + i];
  }
  const m = s / (this.constants.N * this.constants.HW);
  if (second === 0) return m;
  let q = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) {
      const d = x[(n * this.constants.C + c) * this.constants.HW + i] - m;
      q += d * d;
    }
  }
  return q / (this.constants.N * this.constants.HW);
}

function applyKernel(this: K, x: Float32Array, mean: Float32Array, invStd: Float32Array, weight: Float32Array, bias: Float32Array): number {
  const idx = this.thread.x;
  const q = Math.floor((idx + 0.5) / this.constants.HW);
  const c = q - Math.floor((q + 0.5) / this.constants.C) * this.constants.C;
  return (x[idx] - mean[c]) * invStd[c] * weight[c] + bias[c];
}

function sumsKernel(this: K, x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array): number {
  const idx = this.thread.x;
  const second = idx >= this.constants.C ? 1 : 0;
  const c = idx - second * this.constants.C;
  let s = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let i = 0; i < this.constants.HW; i++) {
      const o = (n * this.constants.C + c) * this.constants.HW + i;
      if (second === 0) s += dy[o];
      else s += dy[o] * (x[o] - mean[c]) * invStd[c];
    }
  }
  return s;
}

function gradXKernel(this: K, x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array, weight: Float32Array, sums: Float32Array): number {
  const idx = this.thread.x;
  const q = Math.floor((idx + 0.5) / this.constants.HW);
  const c = q - Math.floor((q + 0.5) / this.constants.C) * this.constants.C;
  const k = weight[c] * invStd[c];
  if (this.constants.training === 0) return k * dy[idx];
  const M = this.constants.N * this.constants.HW;
  const xhat = (x[idx] - mean[c]) * invStd[c];
  return (k / M) * (M * dy[idx] - sums[c] - xhat * sums[this.constants.C + c]);
}

const consts = (N: number, C: number, HW: number, extra: Constants = {}): Constants => ({ N, C, HW, ...extra });

export function batchNormStatsGpu(k: KernelCache, x: Float32Array, N: number, C: number, HW: number): { mean: Float32Array; variance: Float32Array } {
  const out = k.run('batchNormStats', statsKernel, consts(N, C, HW), 2 * C, [x]);
  return { mean: out.slice(0, C), variance: out.slice(C) };
}

export function batchNormApplyGpu(
  k: KernelCache, x: Float32Array, mean: Float32Array, invStd: Float32Array, weight: Float32Array, bias: Float32Array, N: number, C: number, HW: number,
): Float32Array {
  return k.run('batchNormApply', applyKernel, consts(N, C, HW), x.length, [x, mean, invStd, weight, bias]);
}

export function batchNormBackwardGpu(
  k: KernelCache, x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array, weight: Float32Array,
  N: number, C: number, HW: number, training: boolean,
): { dx: Float32Array; dweight: Float32Array; dbias: Float32Array } {
  const sums = k.run('batchNormSums', sumsKernel, consts(N, C, HW), 2 * C, [x, dy, mean, invStd]);
  const dx = k.run('batchNormGradX', gradXKernel, consts(N, C, HW, { training: training ? 1 : 0 }), x.length, [x, dy, mean, invStd, weight, sums]);
  return { dx, dweight: sums.slice(C), dbias: sums.slice(0, C) };
}
