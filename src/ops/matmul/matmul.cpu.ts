/** CPU reference batched matmul, accumulating in float64. */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import { matmulKernel } from './matmul.kernels.js';
import { allocate, dtypeOf, type TypedArray } from '../../tensor/dtype.js';

export function matmulCpu(
  a: TypedArray,
  b: TypedArray,
  B: number,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): TypedArray {
  const out = allocate(dtypeOf(a), B * M * N);
  // Element strides of a as [M, K] and b as [K, N], whatever their storage order.
  const aRow = transA ? 1 : K,
    aCol = transA ? M : 1;
  const bRow = transB ? 1 : N,
    bCol = transB ? K : 1;
  const row = new Float64Array(N);
  for (let bt = 0; bt < B; bt++) {
    const ao = bt * M * K,
      bo = bt * K * N,
      oo = bt * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a[ao + i * aRow + k * aCol];
        const bk = bo + k * bRow;
        for (let j = 0; j < N; j++) row[j] += av * b[bk + j * bCol];
      }
      for (let j = 0; j < N; j++) out[oo + i * N + j] = row[j];
    }
  }
  return out;
}

export const matmulCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(matmulKernel, ([a, b], { B, M, K, N, transA, transB }) => matmulCpu(a, b, B, M, K, N, transA, transB)),
];
