/**
 * The DynOPool layer (paper section 4): a learnable resizer with parameter alpha = 1 / r of
 * shape [2]. It replaces a resizing operator; alpha starts at that operator's stride (a 2x2
 * pool or a stride-2 convolution gives alpha = (2, 2)). See src/ops/dynopool for the math.
 */
import { tensor } from '../tensor/creation.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { dynoPool2d, dynoSample } from '../ops/dynopool/dynopool.js';
import { Module, type FeatureMap } from './module.js';

/** Initial alpha (one number, or one per axis) and dtype of a DynOPool layer. */
export interface DynOPoolOptions {
  /** Initial alpha (default 2 for both axes: the 2x2 / stride-2 operator it replaces). */
  alpha?: number | readonly [number, number];
  dtype?: DType;
}

/**
 * A replacement for the layer's size rule, (input size, alpha of one axis, axis) -> output size
 * tensor. Only analysis tools set one (`freezeSizes` in src/testing); see `DynOPool.sizeRule`.
 */
export type SizeRule = (inSize: Tensor, alpha: Tensor, axis: 0 | 1) => Tensor;

/**
 * The DynOPool layer: a learnable `alpha` [2] and `dynoPool2d` on the incoming feature map, whose
 * size tensors it threads on (see `src/ops/dynopool/dynopool.ts`).
 */
export class DynOPool extends Module {
  readonly alpha: Tensor;
  /** [H_out, W_out] of the latest forward, for reports (null before the first; the loss never reads it). */
  outputSize: [number, number] | null = null;
  /**
   * Null in normal use: the output size is the paper's, `dynoOutputSize` inside `dynoPool2d`.
   * When set, each axis' size is `sizeRule(inSize, alpha_axis, axis)` and the input is
   * resampled onto it with `dynoSample`, without `dynoPool2d`'s checks (which require integer
   * input sizes): finite-difference tools use this to make the sizes a smooth function of alpha.
   */
  sizeRule: SizeRule | null = null;

  constructor(opts: DynOPoolOptions = {}) {
    super();
    const a = opts.alpha ?? 2;
    const init = typeof a === 'number' ? [a, a] : [a[0], a[1]];
    if (!init.every((v) => Number.isFinite(v) && v > 0))
      throw new Error(`DynOPool: initial alpha must be finite and positive, got [${init.join(', ')}]`);
    this.alpha = this.param('alpha', tensor(init, { dtype: opts.dtype ?? 'float32' }));
  }

  /** Current scale factor r = 1 / alpha. */
  get r(): [number, number] {
    const a = this.alpha.data();
    return [1 / a[0], 1 / a[1]];
  }

  /** Resamples f onto the learned size; the new size tensors depend on alpha and f.size, the cost passes on. */
  forward(f: FeatureMap): FeatureMap {
    let output: Tensor, size: [Tensor, Tensor];
    if (this.sizeRule) {
      const rule = this.sizeRule;
      size = [
        rule(f.size[0], this.alpha.slice([0], [1]).reshape([]), 0),
        rule(f.size[1], this.alpha.slice([1], [2]).reshape([]), 1),
      ];
      output = dynoSample(f.x, size[0], size[1]);
    } else {
      ({ output, size } = dynoPool2d(f.x, this.alpha, { inSize: [f.size[0], f.size[1]], label: 'DynOPool layer' }));
    }
    this.outputSize = [size[0].item(), size[1].item()];
    return { x: output, size, cost: f.cost };
  }
}
