/**
 * softmax, logSoftmax and crossEntropy, composed from primitives so that autograd derives
 * their gradients. The max-shift that makes them stable goes through `stopGradient`: the
 * shift cancels mathematically, so its gradient is exactly zero and need not be computed.
 */
import { allocate } from '../../tensor/dtype.js';
import { fmt, normAxis } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { stopGradient } from '../surrogate/surrogate.js';
import { assertNdim, constant } from '../util.js';

/** A reduction over an empty axis has no max and no normaliser: refuse it by the caller's name. */
function assertNonEmptyAxis(op: string, x: Tensor, ax: number): void {
  if (x.shape[ax] === 0)
    throw new Error(`${op}: axis ${ax} of the input ${fmt(x.shape)} is empty (nothing to normalise over)`);
}

/** log(sum(exp(x))) over `axis` (kept as size 1), without overflow. */
export function logSumExp(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('logSumExp', axis, x.ndim);
  assertNonEmptyAxis('logSumExp', x, ax);
  const m = stopGradient(x.max(ax, true));
  return x.sub(m).exp().sum(ax, true).log().add(m);
}

/** exp(x_i) / sum_j exp(x_j) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('softmax', axis, x.ndim);
  assertNonEmptyAxis('softmax', x, ax);
  const e = x.sub(stopGradient(x.max(ax, true))).exp();
  return e.div(e.sum(ax, true));
}

/** x_i - log sum_j exp(x_j) along `axis`. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertNonEmptyAxis('logSoftmax', x, normAxis('logSoftmax', axis, x.ndim));
  return x.sub(logSumExp(x, axis));
}

/**
 * Mean cross-entropy of `logits` [N, C] against integer class `labels` (length N):
 * -(1/N) sum_n logSoftmax(logits)[n, labels[n]]. d/dlogits = (softmax - onehot) / N.
 */
export function crossEntropy(logits: Tensor, labels: readonly number[] | Int32Array): Tensor {
  assertNdim('crossEntropy', 'logits', logits, 2, '[batch, classes]');
  const [N, C] = logits.shape;
  if (N === 0)
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} have no rows (an empty batch has no mean loss)`);
  if (C === 0) throw new Error(`crossEntropy: logits ${fmt(logits.shape)} have no classes`);
  if (labels.length !== N)
    throw new Error(`crossEntropy: ${labels.length} labels for logits of shape ${fmt(logits.shape)}`);
  const onehot = allocate(logits.dtype, N * C);
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (!Number.isInteger(y)) throw new Error(`crossEntropy: label ${n} is ${y}, not an integer class index`);
    if (y < 0 || y >= C)
      throw new Error(`crossEntropy: label ${n} is ${y}, out of range for ${C} classes [0, ${C - 1}]`);
    onehot[n * C + y] = 1;
  }
  const target = constant(onehot, [N, C], logits);
  return logSoftmax(logits, 1).mul(target).sum().div(-N);
}
