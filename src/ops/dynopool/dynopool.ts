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
 *
 * BOUND on the output size (issue 13.3). A runaway alpha (a huge learning rate drives it towards
 * 0) asks for an output of H / alpha rows: at alpha = 1e-6 that is 3.2e7 rows from 32, which
 * either fails deep inside the backend or runs for minutes and gigabytes. So each call refuses an
 * output with more than `maxScale` times the input's rows or columns (but always allows 2, the
 * minimum size), default `DYNO_MAX_SCALE` = 8: twice the 4x that the trainer's default
 * alphaMin = 0.25 allows, so it never triggers in the paper's settings (alpha starts at 2 and
 * the trainer keeps it within [alphaMin, alphaMax]). The error names the op (and the layer, via
 * `label`), alpha, the requested and the allowed size, and what to change; it comes from the
 * 0-d sizes, before any sampling kernel runs. Alpha itself must be finite and positive. The
 * bound is per layer: k stacked layers may still grow a map by maxScale^k overall.
 */
import { defineOp } from '../../autograd/op.js';
import { dynoSampleBackwardKernel, dynoSampleKernel, type DynoGeometry } from './dynosample.kernels.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { clampSurrogate, roundSurrogate } from '../surrogate/surrogate.js';
import { asTensor, assertCompatible, assertNdim, runKernel } from '../util.js';

const dynoSampleOp = defineOp({
  name: 'dynoSample',
  inputs: ['x', 'h', 'w'],
  // the forward's winning points are saved: the backward reads them instead of sampling again
  forward: ({ x }, g: DynoGeometry) => {
    const [output, winners] = runKernel(dynoSampleKernel, [x], g);
    return { output, saved: winners };
  },
  // one backend call gives all three gradients
  backward: (dy, { inputs: { x }, attrs: g, saved: winners }) => {
    const [dx, dh, dw] = runKernel(dynoSampleBackwardKernel, [x, dy, winners], g);
    return { x: dx, h: dh, w: dw };
  },
});

/** Default of `maxScale`: an output has at most this many times the input's rows (and columns). */
export const DYNO_MAX_SCALE = 8;

function checkMaxScale(op: string, maxScale: number): void {
  if (!(Number.isFinite(maxScale) && maxScale >= 1))
    throw new Error(`${op}: maxScale must be a finite number >= 1, got ${maxScale}`);
}

/** Short, readable form of a value that may come from float32 (1e-6 is 9.99999997e-7 there). */
const short = (v: number): string => String(Number(v.toPrecision(6)));

/**
 * Throws unless an output of `rows` rows from `inRows` input rows (columns for `axis` 1) is
 * within `maxScale` times the input. `what` says what asked for it (e.g. `alpha_h = 0.5`).
 */
function checkOutputSize(
  op: string,
  what: string,
  axis: 0 | 1,
  rows: number,
  inRows: number,
  shape: readonly number[],
  maxScale: number,
): void {
  const limit = Math.max(2, Math.floor(maxScale * inRows));
  if (rows <= limit) return;
  const unit = axis === 0 ? 'rows' : 'columns';
  throw new Error(
    `${op}: ${what} asks for ${rows} output ${unit} from ${inRows} input ${unit} (input ${fmt(shape)}), ` +
      `more than maxScale = ${maxScale} times the input allows (at most ${limit} ${unit}); ` +
      "alpha is far too small: lower alpha's learning rate, raise alphaMin (the trainer clamps alpha to [alphaMin, alphaMax]), or raise maxScale",
  );
}

function sizeValue(op: string, name: string, t: Tensor): number {
  if (t.ndim !== 0) throw new Error(`${op}: ${name} must be a 0-d size tensor, got shape ${fmt(t.shape)}`);
  const v = t.item();
  if (!Number.isFinite(v) || v < 0.5)
    throw new Error(`${op}: ${name} must be a finite size >= 0.5 (at least one output row), got ${v}`);
  return v;
}

/**
 * Samples x [N, C, H, W] onto a round(h) x round(w) grid; see the file comment. Refuses more
 * than DYNO_MAX_SCALE = 8 times the input's rows or columns (see BOUND above).
 */
export function dynoSample(x: Tensor, h: Tensor, w: Tensor): Tensor {
  return sample(x, h, w, DYNO_MAX_SCALE);
}

function sample(x: Tensor, h: Tensor, w: Tensor, maxScale: number): Tensor {
  assertNdim('dynoSample', 'input', x, 4, 'N, C, H, W');
  assertCompatible('dynoSample', x, h, ['input', 'h']);
  assertCompatible('dynoSample', x, w, ['input', 'w']);
  const [N, C, H, W] = x.shape;
  if (H < 1 || W < 1) throw new Error(`dynoSample: input has an empty spatial size ${fmt(x.shape)}`);
  const hv = sizeValue('dynoSample', 'h', h),
    wv = sizeValue('dynoSample', 'w', w);
  const g: DynoGeometry = { N, C, H, W, OH: Math.floor(hv + 0.5), OW: Math.floor(wv + 0.5), h: hv, w: wv };
  checkOutputSize('dynoSample', `h = ${short(hv)}`, 0, g.OH, H, x.shape, maxScale);
  checkOutputSize('dynoSample', `w = ${short(wv)}`, 1, g.OW, W, x.shape, maxScale);
  return dynoSampleOp({ x, h, w }, g);
}

/** The lower bound of the continuous size (paper section 5.1): every output size is >= 2. */
export const MIN_CONTINUOUS_SIZE = 1.5;

/** s = inSize / alpha: the continuous output size, before rounding (r = 1 / alpha, paper eq. 6). */
export function dynoContinuousSize(inSize: Tensor, alpha: Tensor): Tensor {
  return inSize.div(alpha);
}

/**
 * h = roundSurrogate(clampSurrogate(inSize / alpha, 1.5)): integer value, straight-through
 * gradient. A pure tensor formula (it reads nothing back); dynoPool2d and dynoSample bound it.
 */
export function dynoOutputSize(inSize: Tensor, alpha: Tensor): Tensor {
  return roundSurrogate(clampSurrogate(dynoContinuousSize(inSize, alpha), MIN_CONTINUOUS_SIZE));
}

/** Options of `dynoPool2d`. */
export interface DynoPool2dOptions {
  /** Size tensors [H_in, W_in] of an earlier dynoPool2d, so gradients reach its alpha. */
  inSize?: readonly [Tensor, Tensor];
  /**
   * At most this many times the input's rows (and columns) in the output, default
   * DYNO_MAX_SCALE = 8 (see BOUND in the file comment; dynoSample always uses the default): a
   * larger output is refused with an error naming alpha and the size.
   */
  maxScale?: number;
  /** Who is calling, for error messages (the DynOPool module passes 'DynOPool layer'). */
  label?: string;
}

/** The output of `dynoPool2d` and its size tensors. */
export interface DynoPool2dResult {
  output: Tensor;
  /** 0-d tensors with the integer output sizes, differentiable w.r.t. alpha (and inSize). */
  size: [Tensor, Tensor];
}

/** DynOPool: learned-size resampling of x [N, C, H, W] with alpha [2] = (alpha_h, alpha_w). */
export function dynoPool2d(x: Tensor, alpha: Tensor, opts: DynoPool2dOptions = {}): DynoPool2dResult {
  const op = opts.label ? `${opts.label} (dynoPool2d)` : 'dynoPool2d';
  assertNdim(op, 'input', x, 4, 'N, C, H, W');
  assertCompatible(op, x, alpha, ['input', 'alpha']);
  if (alpha.ndim !== 1 || alpha.shape[0] !== 2)
    throw new Error(`${op}: alpha must have shape [2] (alpha_h, alpha_w), got ${fmt(alpha.shape)}`);
  const maxScale = opts.maxScale ?? DYNO_MAX_SCALE;
  checkMaxScale(op, maxScale);
  const a = alpha.data();
  if (!(a[0] > 0 && a[1] > 0 && Number.isFinite(a[0]) && Number.isFinite(a[1]))) {
    throw new Error(`${op}: alpha must be finite and positive, got [${a[0]}, ${a[1]}] (input ${fmt(x.shape)})`);
  }
  const [, , H, W] = x.shape;
  let inH: Tensor, inW: Tensor;
  if (opts.inSize) {
    [inH, inW] = opts.inSize;
    const got = [sizeValue(op, 'inSize[0]', inH), sizeValue(op, 'inSize[1]', inW)];
    if (got[0] !== H || got[1] !== W) {
      throw new Error(`${op}: inSize is [${got.join(', ')}] but the input is ${H}x${W} (${fmt(x.shape)})`);
    }
    assertCompatible(op, x, inH, ['input', 'inSize']);
  } else {
    inH = asTensor(H, alpha);
    inW = asTensor(W, alpha);
  }
  const h = dynoOutputSize(inH, alpha.slice([0], [1]).reshape([]));
  const w = dynoOutputSize(inW, alpha.slice([1], [2]).reshape([]));
  // before any sampling kernel: a runaway alpha must not start a huge allocation
  checkOutputSize(op, `alpha_h = ${short(a[0])}`, 0, h.item(), H, x.shape, maxScale);
  checkOutputSize(op, `alpha_w = ${short(a[1])}`, 1, w.item(), W, x.shape, maxScale);
  return { output: sample(x, h, w, maxScale), size: [h, w] };
}
