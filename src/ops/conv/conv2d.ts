/**
 * 2-D convolution (cross-correlation, as in every deep-learning framework), NCHW layout.
 *
 *   y[n, o, i, j] = bias[o] + sum_{c in group(o), p, q} x[n, c, i*sh - ph + p*dh, j*sw - pw + q*dw] * w[o, c', p, q]
 *
 * Shapes: x [N, C, H, W], weight [OC, C / groups, KH, KW], bias [OC] or null;
 *   OH = floor((H + 2 ph - dh (KH - 1) - 1) / sh) + 1, and the same for OW.
 * Zero padding. `groups` splits channels into independent groups (groups = C is depthwise).
 *
 * Gradients: dx is the transposed convolution of dy with w; dw[o, c', p, q] is the correlation
 * of dy with x; dbias = sum of dy over n, i, j (bias is added by broadcasting, so autograd
 * derives its gradient).
 */
import { defineOp } from '../../autograd/op.js';
import { conv2dGradInputKernel, conv2dGradWeightKernel, conv2dKernel, type ConvGeometry } from './conv2d.kernels.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { assertCompatible, assertNdim, describeValue, pair, runKernel1 } from '../util.js';

/** One value for both spatial axes, or `[h, w]`. */
export type IntPair = number | readonly [number, number];

/** Stride, padding, dilation (a number or [h, w]) and groups of `conv2d`. */
export interface Conv2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
}

const conv2dOp = defineOp({
  name: 'conv2d',
  inputs: ['x', 'weight'],
  forward: ({ x, weight }, g: ConvGeometry) => ({
    output: runKernel1(conv2dKernel, [x, weight], g),
    saved: null,
  }),
  grads: {
    x: (dy, { inputs: { weight }, attrs: g }) => runKernel1(conv2dGradInputKernel, [dy, weight], g),
    weight: (dy, { inputs: { x }, attrs: g }) => runKernel1(conv2dGradWeightKernel, [x, dy], g),
  },
});

/** Validates shapes and options and works out the output size. */
export function convGeometry(x: Tensor, weight: Tensor, opts: Conv2dOptions): ConvGeometry {
  assertNdim('conv2d', 'input', x, 4, 'N, C, H, W');
  assertNdim('conv2d', 'weight', weight, 4, 'out_channels, in_channels / groups, KH, KW');
  assertCompatible('conv2d', x, weight, ['input', 'weight']);
  const [N, C, H, W] = x.shape;
  const [OC, Cg, KH, KW] = weight.shape;
  const groups = opts.groups ?? 1;
  const [strideH, strideW] = pair('conv2d', 'stride', opts.stride, 1, 1);
  const [padH, padW] = pair('conv2d', 'padding', opts.padding, 0, 0);
  const [dilationH, dilationW] = pair('conv2d', 'dilation', opts.dilation, 1, 1);
  if (!Number.isInteger(groups) || groups < 1)
    throw new Error(`conv2d: groups must be a positive integer, got ${groups}`);
  if (C % groups !== 0) throw new Error(`conv2d: groups=${groups} does not divide the input's ${C} channels`);
  if (OC % groups !== 0) throw new Error(`conv2d: groups=${groups} does not divide the weight's ${OC} output channels`);
  if (Cg * groups !== C) {
    throw new Error(
      `conv2d: input has ${C} channels, weight ${fmt(weight.shape)} expects ${Cg * groups} (${Cg} per group x ${groups} group${groups > 1 ? 's' : ''})`,
    );
  }
  const spanH = dilationH * (KH - 1) + 1,
    spanW = dilationW * (KW - 1) + 1;
  if (spanH > H + 2 * padH || spanW > W + 2 * padW) {
    throw new Error(
      `conv2d: kernel ${KH}x${KW} (dilation ${dilationH}x${dilationW}, extent ${spanH}x${spanW}) is larger than the padded input ${H + 2 * padH}x${W + 2 * padW}`,
    );
  }
  const OH = Math.floor((H + 2 * padH - spanH) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - spanW) / strideW) + 1;
  return { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups };
}

/**
 * 2-D convolution of x [N, C, H, W] with weight [OC, C / groups, KH, KW] and an optional bias [OC]
 * (formula and gradients in the file comment).
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const g = convGeometry(x, weight, opts);
  const y = conv2dOp({ x, weight }, g);
  if (bias === null) return y;
  if (!(bias instanceof Tensor))
    throw new Error(
      `conv2d: bias must be a Tensor or null, got ${describeValue(bias)}; the options come fourth: conv2d(x, weight, null, { padding: 1 })`,
    );
  assertCompatible('conv2d', x, bias, ['input', 'bias']);
  if (bias.ndim !== 1 || bias.shape[0] !== g.OC)
    throw new Error(`conv2d: bias must have shape [${g.OC}], got ${fmt(bias.shape)}`);
  return y.add(bias.reshape([1, g.OC, 1, 1]));
}
