/**
 * Gradient surgery: the building blocks of DynOPool's learned output size
 * (../shared/design/dynopool-math.md, section 1; paper eq. 3-4).
 *
 * - `stopGradient(x)`: identity forward, zero gradient (JAX `stop_gradient`, the paper's sg).
 * - `roundSurrogate(x)`: round(x) = floor(x + 0.5) forward, bit-exactly; the upstream gradient
 *   passes unchanged (the straight-through estimator). It equals `round(x) + x - sg(x)` in
 *   gradient, but its value is exactly an integer, which the literal composition in floating
 *   point is not (e.g. 16.999999999999996).
 * - `clampSurrogate(x, min, max)`: clamp forward, identity backward, so a size held at its lower
 *   bound still passes gradient (paper section 5.1).
 */
import { defineOp } from '../../autograd/op.js';
import { zerosLike } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { runKernel1 } from '../util.js';
import { clampKernel } from '../elementwise/elementwise.kernels.js';
import { unaryKernel } from '../elementwise/unary.js';

const stopGradientOp = defineOp({
  name: 'stopGradient',
  inputs: ['x'],
  forward: ({ x }) => ({ output: x.detach(), saved: null }),
  grads: { x: (dy) => zerosLike(dy) },
});

/** Identity forward; the gradient is zero. */
export const stopGradient = (x: Tensor): Tensor => stopGradientOp({ x }, {});

const roundSurrogateOp = defineOp({
  name: 'roundSurrogate',
  inputs: ['x'],
  forward: ({ x }) => ({ output: unaryKernel('round', x), saved: null }),
  grads: { x: (dy) => dy },
});

/** round(x) = floor(x + 0.5) forward (exact); d/dx taken as 1 (straight-through). */
export const roundSurrogate = (x: Tensor): Tensor => roundSurrogateOp({ x }, {});

const clampSurrogateOp = defineOp({
  name: 'clampSurrogate',
  inputs: ['x'],
  forward: ({ x }, { lo, hi }: { lo: number; hi: number }) => ({
    output: runKernel1(clampKernel, [x], { lo, hi }),
    saved: null,
  }),
  grads: { x: (dy) => dy },
});

/** clamp(x, min, max) forward; d/dx taken as 1 everywhere (straight-through). */
export function clampSurrogate(x: Tensor, min: number | null, max: number | null = null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi)
    throw new Error(`clampSurrogate: invalid bounds min=${min}, max=${max}`);
  return clampSurrogateOp({ x }, { lo, hi });
}
