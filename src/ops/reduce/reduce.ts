/**
 * Reductions over any set of axes (default: all), with `keepdim`.
 *
 * Shape rule: reduced axes disappear (or stay as size 1 with keepdim). Negative axes count
 * from the end; a repeated or out-of-range axis is an error.
 */
import { defineOp } from '../../autograd/op.js';
import { reduceKernel, type ReduceKernel } from './reduce.kernels.js';
import { normAxes, reducedShape, sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { runKernel1, view } from '../util.js';

type Axes = number | readonly number[] | undefined;
interface ReduceAttrs {
  axes: number[];
  keepdim: boolean;
}

function reduceForward(kernel: ReduceKernel, x: Tensor, { axes, keepdim }: ReduceAttrs): Tensor {
  if (x.size === 0 && kernel !== 'sum')
    throw new Error(`${kernel}: cannot reduce an empty tensor of shape [${x.shape.join(', ')}]`);
  const kept = runKernel1(reduceKernel, [x], { op: kernel, axes });
  return keepdim ? kept : view(kept, reducedShape(x.shape, axes, false));
}

/** dy reshaped to the kept-dims shape, then broadcast back over the input. */
function spread(dy: Tensor, x: Tensor, axes: number[]): Tensor {
  return dy.reshape(reducedShape(x.shape, axes, true)).expand(x.shape);
}

const sumOp = defineOp({
  name: 'sum',
  inputs: ['x'],
  forward: ({ x }, attrs: ReduceAttrs) => ({ output: reduceForward('sum', x, attrs), saved: null }),
  grads: { x: (dy, { inputs, attrs }) => spread(dy, inputs.x, attrs.axes) },
});

/** Sum over `axes`. d/dx = 1: dy is broadcast back over the reduced axes. */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return sumOp({ x }, { axes: normAxes('sum', axes, x.ndim), keepdim });
}

/** Mean over `axes` = sum / count. */
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = normAxes('mean', axes, x.ndim);
  const count = sizeOf(ax.map((a) => x.shape[a]));
  if (count === 0) throw new Error(`mean: cannot average over empty axes of shape [${x.shape.join(', ')}]`);
  return sum(x, ax, keepdim).div(count);
}

function extremum(kernel: 'max' | 'min') {
  const op = defineOp({
    name: kernel,
    inputs: ['x'],
    forward: ({ x }, attrs: ReduceAttrs) => ({ output: reduceForward(kernel, x, attrs), saved: null }),
    grads: {
      x: (dy, { inputs: { x }, output, attrs: { axes } }) => {
        const hit = x.eq(spread(output, x, axes));
        const ties = spread(hit.sum(axes, true), x, axes);
        return spread(dy, x, axes).mul(hit).div(ties);
      },
    },
  });
  return (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
    op({ x }, { axes: normAxes(kernel, axes, x.ndim), keepdim });
}

/**
 * Maximum over `axes`; NaN if any reduced element is NaN (PyTorch). The gradient goes to the
 * elements equal to the maximum, split evenly among ties (so a tie of k elements gives each
 * dy / k; PyTorch's `amax` convention). Where the maximum is NaN no element equals it, and the
 * gradient over that group is NaN (dy * 0 / 0), as PyTorch's amax.
 */
export const max = extremum('max');

/** Minimum over `axes`; NaN propagates and ties split the gradient evenly, as for max. */
export const min = extremum('min');

/** Bessel's correction and keepdim of `variance`. */
export interface VarOptions {
  /** Bessel's correction: divide by count - correction. Default 1 (unbiased), as PyTorch. */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over `axes`: sum((x - mean)^2) / (count - correction). Composite, so autograd derives it. */
export function variance(x: Tensor, axes?: Axes, opts: VarOptions = {}): Tensor {
  const ax = normAxes('var', axes, x.ndim);
  const correction = opts.correction ?? 1;
  const count = sizeOf(ax.map((a) => x.shape[a]));
  if (count - correction <= 0) {
    throw new Error(
      `var: ${count} value${count === 1 ? '' : 's'} over axes [${ax.join(', ')}] of shape [${x.shape.join(', ')}] with correction ${correction} leaves no degrees of freedom`,
    );
  }
  const centered = x.sub(mean(x, ax, true));
  return sum(centered.mul(centered), ax, opts.keepdim ?? false).div(count - correction);
}
