/**
 * gpu.js kernel for batched matmul (float32): one thread per out[b, m, n] = sum_k A[b, m, k] B[b, k, n],
 * with A stored [B, M, K] (or [B, K, M] when transA) and B stored [B, K, N] (or [B, N, K] when transB).
 */
import { gpuImpl, type GpuKernelImpl, type KernelCache, type KernelData } from '../../backend/gpu/runtime.js';
import { matmulKernel as matmulDecl } from './matmul.kernels.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

function matmulKernel(this: K, a: Float32Array, b: Float32Array): number {
  const idx = this.thread.x;
  const q = Math.floor((idx + 0.5) / this.constants.N);
  const n = idx - q * this.constants.N;
  const bt = Math.floor((q + 0.5) / this.constants.M);
  const m = q - bt * this.constants.M;
  let sum = 0;
  for (let kk = 0; kk < this.constants.K; kk++) {
    const ia =
      this.constants.ta === 1
        ? (bt * this.constants.K + kk) * this.constants.M + m
        : (bt * this.constants.M + m) * this.constants.K + kk;
    const ib =
      this.constants.tb === 1
        ? (bt * this.constants.N + n) * this.constants.K + kk
        : (bt * this.constants.K + kk) * this.constants.N + n;
    const av = a[ia];
    const bv = b[ib];
    sum += av * bv;
  }
  return sum;
}

export function matmulGpu(
  k: KernelCache,
  a: KernelData,
  b: KernelData,
  B: number,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): KernelData {
  return k.run('matmul', matmulKernel, { M, K, N, ta: transA ? 1 : 0, tb: transB ? 1 : 0 }, B * M * N, [a, b]);
}

export const matmulGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(matmulDecl, (k, [a, b], { B, M, K, N, transA, transB }) => matmulGpu(k, a, b, B, M, K, N, transA, transB)),
];
