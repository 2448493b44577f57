/** Kernel declaration of batched matmul (implementations: matmul.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';

/**
 * a [B, M, K] (or [B, K, M] if transA) times b [B, K, N] (or [B, N, K] if transB) -> [B, M, N].
 */
export interface MatmulAttrs {
  readonly B: number;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

/** Batched matrix product kernel, optionally transposing either operand. */
export const matmulKernel = kernel<MatmulAttrs>({
  name: 'matmul',
  placement: 'heavy',
  outputs: ({ B, M, N }) => [{ shape: [B, M, N] }],
});
