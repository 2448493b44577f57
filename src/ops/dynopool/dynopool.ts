/**
 * DynOPool (paper section 4; conventions pinned in ../shared/design/dynopool-math.md).
 *
 * SIZE. Each layer learns alpha = (alpha_h, alpha_w) = 1 / r. With the input height H_in (a
 * constant, or the size tensor of an earlier DynOPool so that gradients flow down the chain):
 *
 *   s_h = H_in / alpha_h
 *   h   = roundSurrogate(clampSurrogate(s_h, 1.5))      value: round(max(s_h, 1.5)) >= 2
 *
 * Both surrogates pass the gradient unchanged, so dh/ds_h = 1 and dh/dalpha_h = -H_in / alpha_h^2
 * (paper eq. 3-4 extended over the lower bound of section 5.1). `h` is a 0-d tensor whose value
 * is an integer and whose gradient is live.
 *
 * SAMPLING, `dynoSample(x, h, w)`. Output row i (0 <= i < n, n = round(h)) has two query rows
 *
 *   u(i, +-) = (H / h) (i + 1/2 +- 1/4) - 1/2        (H = the input's actual row count)
 *
 * in pixel coordinates (pixel j centred at j; paper eq. 2 with align_corners = False); columns
 * likewise with W and w. Each output cell takes the 4 points (u, v) and
 *
 *   y[b, c, i, j] = max over the 4 points of bilinear(x[b, c], u, v)
 *
 * with border replication (a coordinate outside [0, H - 1] samples the edge).
 *
 * GRADIENTS of dynoSample.
 * - x: dy of each cell goes to the 4 pixels around its winning point, with bilinear weights.
 * - h: sum over cells of dy * d bilinear/du * du/dh, du/dh = -(H / h^2)(i + 1/2 +- 1/4), for the
 *   winning point; w likewise. The row count n is held fixed (that is what the surrogate means),
 *   so a finite-difference check perturbs h with n fixed: dynoSample accepts a non-integer h and
 *   uses n = round(h) rows.
 * Conventions at non-differentiable points:
 * - max over the 4 points: the gradient goes to the first maximal point in the order
 *   (-,-), (-,+), (+,-), (+,+). Ties are not only measure-zero accidents: when a cell centre
 *   falls on a pixel centre, its two query rows are symmetric about that pixel and tie exactly
 *   whenever the pixels on both sides are equal (ReLU zeros, say). There the map is a kink, as
 *   ReLU is at 0, and finite-difference checks must choose sizes that avoid it.
 * - bilinear in u at an integer coordinate or the border: the derivative from the right
 *   (larger u), i.e. 0 at or beyond H - 1 and below 0 (clamped samples do not move).
 *
 * Identity: alpha = (2, 2) on even H, W puts the query points on pixel centres 2i and 2i + 1,
 * and DynOPool is exactly 2x2 / stride-2 max pooling.
 */
import { defineOp } from '../../autograd/op.js';
import { dynoSampleBackwardKernel, dynoSampleKernel, type DynoGeometry } from './dynosample.kernels.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { clampSurrogate, roundSurrogate } from '../surrogate/surrogate.js';
import { asTensor, assertCompatible, assertNdim, runKernel, runKernel1 } from '../util.js';

const dynoSampleOp = defineOp({
  name: 'dynoSample',
  inputs: ['x', 'h', 'w'],
  forward: ({ x }, g: DynoGeometry) => ({
    output: runKernel1(dynoSampleKernel, [x], g),
    saved: null,
  }),
  // one backend call gives all three gradients (the winners are found once)
  backward: (dy, { inputs: { x }, attrs: g }) => {
    const [dx, dh, dw] = runKernel(dynoSampleBackwardKernel, [x, dy], g);
    return { x: dx, h: dh, w: dw };
  },
});

function sizeValue(op: string, name: string, t: Tensor): number {
  if (t.ndim !== 0) throw new Error(`${op}: ${name} must be a 0-d size tensor, got shape ${fmt(t.shape)}`);
  const v = t.item();
  if (!Number.isFinite(v) || v < 0.5)
    throw new Error(`${op}: ${name} must be a finite size >= 0.5 (at least one output row), got ${v}`);
  return v;
}

/** Samples x [N, C, H, W] onto a round(h) x round(w) grid; see the file comment. */
export function dynoSample(x: Tensor, h: Tensor, w: Tensor): Tensor {
  assertNdim('dynoSample', 'input', x, 4, 'N, C, H, W');
  assertCompatible('dynoSample', x, h, ['input', 'h']);
  assertCompatible('dynoSample', x, w, ['input', 'w']);
  const [N, C, H, W] = x.shape;
  if (H < 1 || W < 1) throw new Error(`dynoSample: input has an empty spatial size ${fmt(x.shape)}`);
  const hv = sizeValue('dynoSample', 'h', h),
    wv = sizeValue('dynoSample', 'w', w);
  const g: DynoGeometry = { N, C, H, W, OH: Math.floor(hv + 0.5), OW: Math.floor(wv + 0.5), h: hv, w: wv };
  return dynoSampleOp({ x, h, w }, g);
}

/** The lower bound of the continuous size (paper section 5.1): every output size is >= 2. */
export const MIN_CONTINUOUS_SIZE = 1.5;

/** s = inSize / alpha: the continuous output size, before rounding (r = 1 / alpha, paper eq. 6). */
export function dynoContinuousSize(inSize: Tensor, alpha: Tensor): Tensor {
  return inSize.div(alpha);
}

/** h = roundSurrogate(clampSurrogate(inSize / alpha, 1.5)): integer value, straight-through gradient. */
export function dynoOutputSize(inSize: Tensor, alpha: Tensor): Tensor {
  return roundSurrogate(clampSurrogate(dynoContinuousSize(inSize, alpha), MIN_CONTINUOUS_SIZE));
}

export interface DynoPool2dOptions {
  /** Size tensors [H_in, W_in] of an earlier dynoPool2d, so gradients reach its alpha. */
  inSize?: readonly [Tensor, Tensor];
}

export interface DynoPool2dResult {
  output: Tensor;
  /** 0-d tensors with the integer output sizes, differentiable w.r.t. alpha (and inSize). */
  size: [Tensor, Tensor];
}

/** DynOPool: learned-size resampling of x [N, C, H, W] with alpha [2] = (alpha_h, alpha_w). */
export function dynoPool2d(x: Tensor, alpha: Tensor, opts: DynoPool2dOptions = {}): DynoPool2dResult {
  assertNdim('dynoPool2d', 'input', x, 4, 'N, C, H, W');
  assertCompatible('dynoPool2d', x, alpha, ['input', 'alpha']);
  if (alpha.ndim !== 1 || alpha.shape[0] !== 2)
    throw new Error(`dynoPool2d: alpha must have shape [2] (alpha_h, alpha_w), got ${fmt(alpha.shape)}`);
  const a = alpha.data();
  if (!(a[0] > 0 && a[1] > 0 && Number.isFinite(a[0]) && Number.isFinite(a[1]))) {
    throw new Error(`dynoPool2d: alpha must be finite and positive, got [${a[0]}, ${a[1]}]`);
  }
  const [, , H, W] = x.shape;
  let inH: Tensor, inW: Tensor;
  if (opts.inSize) {
    [inH, inW] = opts.inSize;
    const got = [sizeValue('dynoPool2d', 'inSize[0]', inH), sizeValue('dynoPool2d', 'inSize[1]', inW)];
    if (got[0] !== H || got[1] !== W) {
      throw new Error(`dynoPool2d: inSize is [${got.join(', ')}] but the input is ${H}x${W} (${fmt(x.shape)})`);
    }
    assertCompatible('dynoPool2d', x, inH, ['input', 'inSize']);
  } else {
    inH = asTensor(H, alpha);
    inW = asTensor(W, alpha);
  }
  const h = dynoOutputSize(inH, alpha.slice([0], [1]).reshape([]));
  const w = dynoOutputSize(inW, alpha.slice([1], [2]).reshape([]));
  return { output: dynoSample(x, h, w), size: [h, w] };
}
