/**
 * 2-D pooling over NCHW windows: OH = floor((H + 2 ph - KH) / sh) + 1 (stride defaults to the
 * kernel size, as in PyTorch); padding must be at most half the kernel.
 *
 * maxPool2d: y = max over the window; padding never wins; a NaN wins over every number (PyTorch's
 *   `val > maxval || isnan(val)`). d/dx: dy goes to the window's first maximum in row-major order
 *   (so on a tie exactly one input receives it, like PyTorch), or to its first NaN.
 * avgPool2d: y = mean over the window; with countIncludePad (default true, as PyTorch) the
 *   divisor is KH*KW, otherwise the number of in-bounds taps. d/dx: dy / divisor to each tap.
 * globalAvgPool2d: mean over H and W -> [N, C].
 */
import { defineOp } from '../../autograd/op.js';
import {
  avgPool2dGradKernel,
  avgPool2dKernel,
  maxPool2dGradKernel,
  maxPool2dKernel,
  type PoolGeometry,
} from './pool.kernels.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { IntPair } from '../conv/conv2d.js';
import { assertNdim, pair, runKernel1 } from '../util.js';

/** Window, stride (default: the window) and padding of a pooling op. */
export interface Pool2dOptions {
  kernelSize: IntPair;
  stride?: IntPair;
  padding?: IntPair;
}

/** Pooling options plus whether padding counts in the mean. */
export interface AvgPool2dOptions extends Pool2dOptions {
  countIncludePad?: boolean;
}

export function poolGeometry(op: string, x: Tensor, opts: AvgPool2dOptions): PoolGeometry {
  assertNdim(op, 'input', x, 4, 'N, C, H, W');
  if (!opts || opts.kernelSize === undefined) throw new Error(`${op}: kernelSize is required`);
  const [N, C, H, W] = x.shape;
  const [KH, KW] = pair(op, 'kernelSize', opts.kernelSize, 1, 1);
  const [strideH, strideW] = pair(op, 'stride', opts.stride ?? opts.kernelSize, 1, 1);
  const [padH, padW] = pair(op, 'padding', opts.padding, 0, 0);
  if (2 * padH > KH || 2 * padW > KW)
    throw new Error(`${op}: padding ${padH}x${padW} must be at most half the kernel ${KH}x${KW}`);
  if (KH > H + 2 * padH || KW > W + 2 * padW) {
    throw new Error(`${op}: kernel ${KH}x${KW} is larger than the padded input ${H + 2 * padH}x${W + 2 * padW}`);
  }
  const OH = Math.floor((H + 2 * padH - KH) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - KW) / strideW) + 1;
  return { N, C, H, W, OH, OW, KH, KW, strideH, strideW, padH, padW, countIncludePad: opts.countIncludePad ?? true };
}

const maxPoolOp = defineOp({
  name: 'maxPool2d',
  inputs: ['x'],
  forward: ({ x }, g: PoolGeometry) => ({ output: runKernel1(maxPool2dKernel, [x], g), saved: null }),
  grads: { x: (dy, { inputs: { x }, attrs: g }) => runKernel1(maxPool2dGradKernel, [x, dy], g) },
});

const avgPoolOp = defineOp({
  name: 'avgPool2d',
  inputs: ['x'],
  forward: ({ x }, g: PoolGeometry) => ({ output: runKernel1(avgPool2dKernel, [x], g), saved: null }),
  grads: { x: (dy, { attrs: g }) => runKernel1(avgPool2dGradKernel, [dy], g) },
});

/** Max pooling of x [N, C, H, W]; the gradient goes to each window's first maximum. */
export const maxPool2d = (x: Tensor, opts: Pool2dOptions): Tensor =>
  maxPoolOp({ x }, poolGeometry('maxPool2d', x, opts));
/** Average pooling of x [N, C, H, W] (see the file comment). */
export const avgPool2d = (x: Tensor, opts: AvgPool2dOptions): Tensor =>
  avgPoolOp({ x }, poolGeometry('avgPool2d', x, opts));

/** Mean over H and W: x [N, C, H, W] to [N, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  assertNdim('globalAvgPool2d', 'input', x, 4, 'N, C, H, W');
  return x.mean([2, 3]);
}
