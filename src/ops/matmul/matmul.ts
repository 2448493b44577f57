/**
 * Matrix product with NumPy semantics: the last two axes multiply ([.., M, K] @ [.., K, N]),
 * leading (batch) axes broadcast, and a 1-D operand is a vector (its axis is removed from
 * the result), as in `np.matmul` / `torch.matmul`.
 *
 * Gradients of C = A B: dA = dC B^T, dB = A^T dC (computed with the kernel's transpose flags,
 * no transposed copies); batch broadcasting is undone by summation.
 */
import { defineOp } from '../../autograd/op.js';
import { broadcastShapes, fmt, sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { assertCompatible, runKernel1 } from '../util.js';
import { matmulKernel } from './matmul.kernels.js';

/** [B, M, K] x [B, K, N] -> [B, M, N], equal batch sizes. */
const bmm = defineOp({
  name: 'matmul',
  inputs: ['a', 'b'],
  forward: ({ a, b }) => {
    const [B, M, K] = a.shape,
      N = b.shape[2];
    return { output: runKernel1(matmulKernel, [a, b], { B, M, K, N, transA: false, transB: false }), saved: null };
  },
  grads: {
    a: (dy, { inputs: { a, b } }) => {
      const [B, M, K] = a.shape,
        N = b.shape[2];
      return runKernel1(matmulKernel, [dy, b], { B, M, K: N, N: K, transA: false, transB: true });
    },
    b: (dy, { inputs: { a, b } }) => {
      const [B, M, K] = a.shape,
        N = b.shape[2];
      return runKernel1(matmulKernel, [a, dy], { B, M: K, K: M, N, transA: true, transB: false });
    },
  },
});

/** Matrix product of a [..., M, K] and b [..., K, N] (leading axes broadcast; 1-D operands as in NumPy). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertCompatible('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(`matmul: operands must have at least 1 dimension, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const A = a.ndim === 1 ? a.reshape([1, a.shape[0]]) : a;
  const Bm = b.ndim === 1 ? b.reshape([b.shape[0], 1]) : b;
  const [M, K] = A.shape.slice(-2),
    [K2, N] = Bm.shape.slice(-2);
  if (K !== K2) {
    throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${K} vs ${K2})`);
  }
  const batch = broadcastShapes('matmul', A.shape.slice(0, -2), Bm.shape.slice(0, -2));
  const nb = sizeOf(batch);
  const a3 = A.expand([...batch, M, K]).reshape([nb, M, K]);
  const b3 = Bm.expand([...batch, K, N]).reshape([nb, K, N]);
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  return bmm({ a: a3, b: b3 }, {}).reshape(outShape);
}
