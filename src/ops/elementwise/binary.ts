/**
 * Elementwise binary ops with NumPy broadcasting.
 *
 * Shape rule: shapes align from the right; each pair of dims must be equal or contain a 1.
 * Gradient rule: the cotangent of an input is the elementwise partial derivative times dy,
 * summed back over the axes along which that input was broadcast (`sumTo`).
 */
import { defineNonDifferentiable, defineOp, type GradContext } from '../../autograd/op.js';
import { expandKernel } from '../movement/movement.kernels.js';
import { binaryKernel, whereKernel, type BinaryKernel } from './elementwise.kernels.js';
import { broadcastShapes, sameShape, type Shape } from '../../tensor/shape.js';
import { Tensor, type Scalar } from '../../tensor/tensor.js';
import { zerosLike } from '../../tensor/creation.js';
import { asTensor, assertCompatible, runKernel1 } from '../util.js';

/** Sums a broadcast cotangent back to `shape` (the inverse of broadcasting). */
export function sumTo(t: Tensor, shape: Shape): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const lead = t.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < t.ndim; i++) if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) axes.push(i);
  return t.sum(axes, true).reshape(shape);
}

function broadcastKernel(op: string, kernel: BinaryKernel, a: Tensor, b: Tensor): Tensor {
  assertCompatible(op, a, b);
  broadcastShapes(op, a.shape, b.shape); // validates, naming the op
  return runKernel1(binaryKernel, [a, b], { op: kernel });
}

type Inputs = 'a' | 'b';
/** A gradient before broadcasting is undone (never null here: sumTo needs a tensor). */
type Grad = (dy: Tensor, ctx: GradContext<Inputs, Record<string, never>, null>) => Tensor;

function binaryOp(kernel: BinaryKernel, ga: Grad, gb: Grad) {
  const op = defineOp({
    name: kernel,
    inputs: ['a', 'b'],
    forward: ({ a, b }) => ({ output: broadcastKernel(kernel, kernel, a, b), saved: null }),
    grads: {
      a: (dy, ctx) => sumTo(ga(dy, ctx), ctx.inputs.a.shape),
      b: (dy, ctx) => sumTo(gb(dy, ctx), ctx.inputs.b.shape),
    },
  });
  return (a: Scalar, b: Scalar): Tensor => {
    if (!(a instanceof Tensor) && !(b instanceof Tensor))
      throw new Error(`${kernel}: at least one operand must be a Tensor`);
    const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor, kernel);
    return op({ a: ta, b: asTensor(b, ta, kernel) }, {});
  };
}

/** a + b. d/da = 1, d/db = 1. */
export const add = binaryOp(
  'add',
  (dy) => dy,
  (dy) => dy,
);

/** a - b. d/da = 1, d/db = -1. */
export const sub = binaryOp(
  'sub',
  (dy) => dy,
  (dy) => dy.neg(),
);

/** a * b. d/da = b, d/db = a. */
export const mul = binaryOp(
  'mul',
  (dy, { inputs }) => dy.mul(inputs.b),
  (dy, { inputs }) => dy.mul(inputs.a),
);

/** a / b. d/da = 1 / b, d/db = -a / b^2 = -out / b. */
export const div = binaryOp(
  'div',
  (dy, { inputs }) => dy.div(inputs.b),
  (dy, { inputs, output }) => dy.mul(output).div(inputs.b).neg(),
);

/**
 * a ^ b. d/da = b a^(b-1); d/db = a^b ln a for a > 0, and 0 where a <= 0 (the convention at
 * a = 0 and the only real choice for a negative base, where a^b is defined for integer b only).
 */
export const pow = binaryOp(
  'pow',
  (dy, { inputs }) => dy.mul(inputs.b).mul(inputs.a.pow(inputs.b.sub(1))),
  (dy, { inputs, output }) => {
    const a = inputs.a;
    return where(a.gt(0), dy.mul(output).mul(a.log()), asTensor(0, dy));
  },
);

/** 1 - [lose] - [a == b] / 2: the share of dy an operand gets (1 where a comparison is false for NaN). */
const share = (lose: Tensor, a: Tensor, b: Tensor): Tensor => lose.add(a.eq(b).mul(0.5)).neg().add(1);

/**
 * max(a, b) elementwise; NaN if either is NaN (PyTorch). The larger input gets dy; on a tie
 * (a == b) each gets dy / 2 (PyTorch's convention: the gradient is split, so their sum is still
 * dy). Where either is NaN both get dy: PyTorch only masks out the strictly smaller operand.
 */
export const maximum = binaryOp(
  'maximum',
  (dy, { inputs: { a, b } }) => dy.mul(share(a.lt(b), a, b)),
  (dy, { inputs: { a, b } }) => dy.mul(share(a.gt(b), a, b)),
);

/** min(a, b) elementwise, NaN if either is; ties split dy / 2 each and a NaN gives both dy, as for maximum. */
export const minimum = binaryOp(
  'minimum',
  (dy, { inputs: { a, b } }) => dy.mul(share(a.gt(b), a, b)),
  (dy, { inputs: { a, b } }) => dy.mul(share(a.lt(b), a, b)),
);

function comparison(kernel: BinaryKernel) {
  const op = defineNonDifferentiable({
    name: kernel,
    inputs: ['a', 'b'],
    forward: ({ a, b }) => broadcastKernel(kernel, kernel, a, b),
  });
  return (a: Scalar, b: Scalar): Tensor => {
    if (!(a instanceof Tensor) && !(b instanceof Tensor))
      throw new Error(`${kernel}: at least one operand must be a Tensor`);
    const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor, kernel);
    return op({ a: ta, b: asTensor(b, ta, kernel) }, {});
  };
}

/**
 * Comparisons return 1 where true and 0 where false (so 0 with a NaN side), in the inputs' dtype;
 * not differentiable.
 */
export const eq = comparison('eq');
/** a > b element-wise as 1 / 0 (broadcasting; not differentiable). */
export const gt = comparison('gt');
/** a >= b element-wise as 1 / 0 (broadcasting; not differentiable). */
export const ge = comparison('ge');
/** a < b element-wise as 1 / 0 (broadcasting; not differentiable). */
export const lt = comparison('lt');
/** a <= b element-wise as 1 / 0 (broadcasting; not differentiable). */
export const le = comparison('le');

const whereOp = defineOp({
  name: 'where',
  inputs: ['cond', 'a', 'b'],
  forward: ({ cond, a, b }) => {
    assertCompatible('where', a, b);
    assertCompatible('where', cond, a, ['cond', 'a']);
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
    const ex = (t: Tensor) => (sameShape(t.shape, shape) ? t : runKernel1(expandKernel, [t], { shape }));
    return { output: runKernel1(whereKernel, [ex(cond), ex(a), ex(b)], {}), saved: null };
  },
  grads: {
    cond: (_dy, { inputs }) => zerosLike(inputs.cond),
    a: (dy, { inputs }) => sumTo(where(inputs.cond, dy, asTensor(0, dy)), inputs.a.shape),
    b: (dy, { inputs }) => sumTo(where(inputs.cond, asTensor(0, dy), dy), inputs.b.shape),
  },
});

/**
 * where(cond, a, b): a where cond != 0, else b (all three broadcast). d/da = [cond], d/db =
 * [!cond]; cond gets a zero gradient (it selects, it does not scale).
 */
export function where(cond: Tensor, a: Scalar, b: Scalar): Tensor {
  const ta = asTensor(a, cond);
  return whereOp({ cond, a: ta, b: asTensor(b, ta) }, {});
}
