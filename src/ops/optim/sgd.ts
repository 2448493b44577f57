/**
 * The fused SGD update as an op: one kernel (sgd.kernels.ts) instead of a chain of elementwise
 * tensor ops, with the same results bit for bit. Used by `SGD` (src/nn/optim/optimizer.ts).
 */
import { fmt, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { assertCompatible, runKernel } from '../util.js';
import { sgdUpdateKernel, type SgdAttrs } from './sgd.kernels.js';

/** The results of `sgdUpdate`: the new parameter and the new momentum buffer (null when momentum is 0). */
export interface SgdUpdateResult {
  readonly param: Tensor;
  readonly momentum: Tensor | null;
}

/**
 * One SGD step of parameter `p` with gradient `grad` and momentum buffer `buf` (null before the
 * first step; ignored when `momentum` is 0), in one pass over the values (PyTorch's SGD):
 *
 *     g    = weightDecay ? grad + p * weightDecay : grad
 *     buf' = buf ? buf * momentum + g * (1 - dampening) : g
 *     g    = nesterov ? g + buf' * momentum : buf'        (when momentum is non-zero)
 *     p'   = p - g * lr
 *
 * Bit for bit what those tensor ops give: each scalar is converted to the tensor's dtype first,
 * and each operation's result is rounded to the dtype. Not differentiable: the results are
 * constants for autograd.
 */
export function sgdUpdate(p: Tensor, grad: Tensor, buf: Tensor | null, attrs: SgdAttrs): SgdUpdateResult {
  assertCompatible('sgdUpdate', p, grad, ['p', 'grad']);
  const useBuf = attrs.momentum && buf ? buf : null;
  if (useBuf) assertCompatible('sgdUpdate', p, useBuf, ['p', 'buf']);
  for (const [name, t] of [
    ['grad', grad],
    ['buf', useBuf],
  ] as const) {
    if (t && !sameShape(p.shape, t.shape))
      throw new Error(`sgdUpdate: ${name} has shape ${fmt(t.shape)}, p has ${fmt(p.shape)}`);
  }
  // runKernel's outputs are constants: nothing is recorded
  const [param, momentum] = runKernel(sgdUpdateKernel, useBuf ? [p, grad, useBuf] : [p, grad], attrs);
  return { param, momentum: momentum ?? null };
}
