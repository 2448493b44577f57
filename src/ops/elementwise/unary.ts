/**
 * Elementwise unary ops. Each states its derivative and, where the function has a kink or a
 * jump, the value chosen there.
 */
import { defineNonDifferentiable, defineOp, type GradFn } from '../../autograd/op.js';
import {
  binaryKernel,
  castKernel,
  clampKernel,
  leakyReluKernel,
  unaryKernel as unaryDecl,
  type UnaryKernel,
} from './elementwise.kernels.js';
import { zerosLike } from '../../tensor/creation.js';
import { assertDType, type DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { runKernel1 } from '../util.js';
import { gt, where } from './binary.js';

type Grad = GradFn<'x', Record<string, never>, null>;

export const unaryKernel = (kernel: UnaryKernel, x: Tensor): Tensor => runKernel1(unaryDecl, [x], { op: kernel });

function unaryOp(kernel: UnaryKernel, grad: Grad): (x: Tensor) => Tensor {
  const op = defineOp({
    name: kernel,
    inputs: ['x'],
    forward: ({ x }) => ({ output: unaryKernel(kernel, x), saved: null }),
    grads: { x: grad },
  });
  return (x) => op({ x }, {});
}

/** -x. d/dx = -1. */
export const neg = unaryOp('neg', (dy) => dy.neg());

/** e^x. d/dx = e^x (the output). */
export const exp = unaryOp('exp', (dy, { output }) => dy.mul(output));

/** ln x (NaN for x < 0, -inf at 0, as IEEE). d/dx = 1 / x. */
export const log = unaryOp('log', (dy, { inputs }) => dy.div(inputs.x));

/** sqrt x. d/dx = 1 / (2 sqrt x) (infinite at 0). */
export const sqrt = unaryOp('sqrt', (dy, { output }) => dy.div(output.mul(2)));

/** |x|. d/dx = sign(x), with 0 at x = 0 (the subgradient PyTorch uses). */
export const abs = unaryOp('abs', (dy, { inputs }) => dy.mul(sign(inputs.x)));

/**
 * max(x, 0), with relu(NaN) = NaN (PyTorch). d/dx = 1 for x > 0, 0 for x <= 0 (0 at the kink);
 * at NaN dy passes through, as PyTorch's threshold_backward(dy, relu(x), 0), which is
 * `x <= 0 ? 0 : dy` (false for NaN): the binary kernel `reluGrad`, in one pass.
 */
export const relu = unaryOp('relu', (dy, { inputs }) => runKernel1(binaryKernel, [inputs.x, dy], { op: 'reluGrad' }));

const leakyReluOp = defineOp({
  name: 'leakyRelu',
  inputs: ['x'],
  forward: ({ x }, { slope }: { slope: number }) => ({
    output: runKernel1(leakyReluKernel, [x], { slope }),
    saved: null,
  }),
  grads: { x: (dy, { inputs, attrs }) => where(gt(inputs.x, 0), dy, dy.mul(attrs.slope)) },
});

/**
 * leakyRelu(x) = x for x > 0, negativeSlope * x otherwise (PyTorch's `leaky_relu`, default
 * slope 0.01). d/dx = 1 for x > 0 and negativeSlope for x <= 0: at the kink x = 0 the gradient
 * is the slope, as PyTorch's `leaky_relu_backward` (`x > 0 ? dy : dy * slope`).
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
    throw new Error(`leakyRelu: negativeSlope must be a finite number, got ${negativeSlope}`);
  }
  return leakyReluOp({ x }, { slope: negativeSlope });
}

/** 1 / (1 + e^-x), computed without overflow. d/dx = s (1 - s). */
export const sigmoid = unaryOp('sigmoid', (dy, { output }) => dy.mul(output).mul(output.neg().add(1)));

/** tanh x. d/dx = 1 - tanh^2 x. */
export const tanh = unaryOp('tanh', (dy, { output }) => dy.mul(output.mul(output).neg().add(1)));

/** floor x. d/dx = 0 (everywhere it exists; 0 is also used at the integers). */
export const floor = unaryOp('floor', (dy) => zerosLike(dy));

/**
 * round(x) = floor(x + 0.5) (halves round up: 0.5 -> 1, -0.5 -> 0, 2.5 -> 3). d/dx = 0, also at
 * the half-integers. For the straight-through version see `roundSurrogate`.
 */
export const round = unaryOp('round', (dy) => zerosLike(dy));

const signOp = defineNonDifferentiable({ name: 'sign', inputs: ['x'], forward: ({ x }) => unaryKernel('sign', x) });
const stepOp = defineNonDifferentiable({ name: 'step', inputs: ['x'], forward: ({ x }) => unaryKernel('step', x) });

/** sign(x) in {-1, 0, 1}; not differentiable (constant for autograd). */
export const sign = (x: Tensor): Tensor => signOp({ x }, {});
/** step(x) = 1 for x > 0 else 0; not differentiable (constant for autograd). */
export const step = (x: Tensor): Tensor => stepOp({ x }, {});

const clampOp = defineOp({
  name: 'clamp',
  inputs: ['x'],
  forward: ({ x }, { lo, hi }: { lo: number; hi: number }) => ({
    output: runKernel1(clampKernel, [x], { lo, hi }),
    saved: null,
  }),
  grads: { x: (dy, { inputs, attrs }) => dy.mul(inputs.x.ge(attrs.lo)).mul(inputs.x.le(attrs.hi)) },
});

/**
 * min(max(x, min), max); `null` leaves a side open; clamp(NaN) = NaN. d/dx = 1 for
 * min <= x <= max (the boundaries included, as in PyTorch), else 0 (so 0 at NaN, as PyTorch).
 */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) throw new Error(`clamp: invalid bounds min=${min}, max=${max}`);
  return clampOp({ x }, { lo, hi });
}

const castOp = defineOp({
  name: 'cast',
  inputs: ['x'],
  forward: ({ x }, { dtype }: { dtype: DType }) => ({ output: runKernel1(castKernel, [x], { dtype }), saved: null }),
  grads: { x: (dy, { inputs }) => cast(dy, inputs.x.dtype) },
});

/** Converts to `dtype` (`x.to('float64')`). The gradient is converted back. */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertDType('cast', dtype);
  return x.dtype === dtype ? x : castOp({ x }, { dtype });
}
