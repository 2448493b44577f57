/**
 * A new op, its gradient proved by a property, and a planted bug caught with a counterexample.
 *
 *   npx tsx examples/smooth-max.ts        (in an installed project: node --import tsx ...)
 *
 * smoothMax(x, t) = t * log(sum_i exp(x_i / t)) over the last axis (kept as size 1): a smooth max (the
 * log-sum-exp with temperature t). Its gradient is softmax(x / t). The buggy version forgets the
 * temperature in the gradient; its forward is right, so only a gradient check can see it.
 */
import { defineOp, logSumExp, softmax, type Tensor } from 'dynopool';
import { arbShape, arbTensor, gradProperty } from 'dynopool/testing';

const smoothMaxOp = defineOp({
  name: 'smoothMax',
  inputs: ['x'],
  forward: ({ x }, { t }: { t: number }) => ({ output: logSumExp(x.div(t)).mul(t), saved: null }),
  // dy has the output's shape (x's, the last axis kept as size 1): it scales each row of softmax(x / t)
  grads: { x: (dy, { inputs, attrs }) => softmax(inputs.x.div(attrs.t)).mul(dy) },
});
export const smoothMax = (x: Tensor, t = 0.5): Tensor => smoothMaxOp({ x }, { t });

const buggySmoothMaxOp = defineOp({
  name: 'buggySmoothMax',
  inputs: ['x'],
  forward: ({ x }, { t }: { t: number }) => ({ output: logSumExp(x.div(t)).mul(t), saved: null }),
  grads: { x: (dy, { inputs }) => softmax(inputs.x).mul(dy) }, // BUG: softmax(x), not softmax(x / t)
});
const buggySmoothMax = (x: Tensor, t = 0.5): Tensor => buggySmoothMaxOp({ x }, { t });

// The proof, in three lines: tensors of 1 to 3 dims (float64, seeded, replayable), then
// fast-check runs gradcheck on each (60 runs by default) and throws a report on a mismatch.
const rows = arbTensor({ shape: arbShape({ minDims: 1 }) });
gradProperty((x) => smoothMax(x), [rows]);
console.log('smoothMax: the gradient matches finite differences on every random input');

// The planted bug: the same property fails, and fast-check shrinks the input to a small
// counterexample (printed as the call that rebuilds it), with the seed and path to replay it.
try {
  gradProperty((x) => buggySmoothMax(x), [rows]);
  console.log('buggySmoothMax: not caught (this should not happen)');
  process.exitCode = 1;
} catch (e) {
  console.log(`buggySmoothMax: caught\n${(e as Error).message}`);
}
