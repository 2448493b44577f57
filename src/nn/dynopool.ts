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

export interface DynOPoolOptions {
  /** Initial alpha (default 2 for both axes: the 2x2 / stride-2 operator it replaces). */
  alpha?: number | readonly [number, number];
  dtype?: DType;
}

export class DynOPool extends Module {
  readonly alpha: Tensor;
  /** Output size tensors from the latest forward (integer values, live gradients). */
  lastSize: readonly [Tensor, Tensor] | null = null;

  constructor(opts: DynOPoolOptions = {}) {
    super();
    const a = opts.alpha ?? 2;
    const init = typeof a === 'number' ? [a, a] : [a[0], a[1]];
    if (!init.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`DynOPool: initial alpha must be finite and positive, got [${init.join(', ')}]`);
    this.alpha = this.param('alpha', tensor(init, { dtype: opts.dtype ?? 'float32' }));
  }

  /** Current scale factor r = 1 / alpha. */
  get r(): [number, number] {
    const a = this.alpha.data();
    return [1 / a[0], 1 / a[1]];
  }

  /** [H_out, W_out] of the latest forward (null before the first). */
  get outputSize(): [number, number] | null {
    return this.lastSize ? [this.lastSize[0].item(), this.lastSize[1].item()] : null;
  }

  /**
   * Finite-difference mode (see `freezeSizes`): the sizes are n + s(alpha) - s0 with the
   * integer n and the continuous s0 frozen at their current values.
   */
  frozen: { s0: [number, number]; n: [number, number] } | null = null;

  /** Input [H, W] of the latest forward. */
  lastInputSize: [number, number] | null = null;

  forward(f: FeatureMap): FeatureMap {
    this.lastInputSize = [f.size[0].item(), f.size[1].item()];
    if (this.frozen) {
      const { s0, n } = this.frozen;
      const s = [0, 1].map((k) => f.size[k].div(this.alpha.slice([k], [k + 1]).reshape([])));
      const size: [Tensor, Tensor] = [s[0].sub(s0[0]).add(n[0]), s[1].sub(s0[1]).add(n[1])];
      this.lastSize = size;
      return { x: dynoSample(f.x, size[0], size[1]), size };
    }
    const { output, size } = dynoPool2d(f.x, this.alpha, { inSize: [f.size[0], f.size[1]], label: 'DynOPool layer' });
    this.lastSize = size;
    return { x: output, size };
  }
}

/**
 * For finite-difference checks of a whole model with respect to alpha: runs `forward` once and
 * freezes each DynOPool's straight-through surrogate at the current point, so that the model
 * becomes a smooth function of alpha whose derivative at this point is exactly the surrogate
 * gradient (the paper's round(s) + s - sg(s) with sg and round held; output counts fixed).
 * Returns a function that unfreezes.
 */
export function freezeSizes(model: Module<any, any>, forward: () => unknown): () => void {
  const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
  pools.forEach((p) => { p.frozen = null; });
  forward();
  for (const p of pools) {
    if (!p.lastSize) throw new Error('freezeSizes: a DynOPool layer did not run in forward()');
    const a = p.alpha.data();
    p.frozen = { s0: [p.lastInputSize![0] / a[0], p.lastInputSize![1] / a[1]], n: [p.lastSize[0].item(), p.lastSize[1].item()] };
  }
  return () => pools.forEach((p) => { p.frozen = null; });
}
