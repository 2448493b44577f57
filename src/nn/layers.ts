/** The standard layers, as thin stateful wrappers around the functional ops in src/ops. */
import { ones, zeros } from '../tensor/creation.js';
import type { DType } from '../tensor/dtype.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchNorm2d } from '../ops/batchnorm/batchnorm.js';
import { conv2d, type Conv2dOptions as Conv2dOpOptions, type IntPair } from '../ops/conv/conv2d.js';
import { dropout } from '../ops/functional/functional.js';
import { linear } from '../ops/functional/functional.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../ops/pool/pool.js';
import { pair } from '../ops/util.js';
import { kaimingNormal, uniform } from './init.js';
import { featureMap, Module, type FeatureMap } from './module.js';

/** dtype and random generator of a layer's parameters. */
export interface LayerOptions {
  dtype?: DType;
  generator?: Generator;
}

/**
 * A layer whose multiply-accumulates the GMACs loss counts (convolutions and linears, design
 * doc section 3). `baseline` is fixed by `recordComplexityBaseline` at initialisation;
 * `lastOutputShape` is the shape of its latest output, for MAC counts and reports only (the
 * loss never reads it: each forward carries its own cost, see `FeatureMap`).
 */
export interface CostedLayer {
  /** MACs for one image at output size h x w. */
  macsAt(h: number, w: number): number;
  lastOutputShape: readonly number[] | null;
  baseline: { h: number; w: number; gmacs: number } | null;
}

/** Whether a module adds MACs (a convolution or linear layer), and so a term of the GMACs loss. */
export function isCosted(m: unknown): m is CostedLayer {
  return typeof m === 'object' && m !== null && 'macsAt' in m && 'baseline' in m;
}

/**
 * Layer l's term of the GMACs loss (paper eq. 7) at output size tensors [H_t, W_t]:
 *
 *   (H_t W_t) / (H_0 W_0) * GMACs[l]
 *
 * a 0-d tensor with live gradients through the sizes. Null while the layer has no baseline
 * (before `recordComplexityBaseline`): such a layer adds nothing, and `gmacsLoss` refuses it.
 */
export function gmacsTerm(layer: CostedLayer, size: readonly [Tensor, Tensor]): Tensor | null {
  if (!layer.baseline) return null;
  const { h, w, gmacs } = layer.baseline;
  return size[0].mul(size[1]).mul(gmacs / (h * w));
}

/** `cost` plus a layer's term (unchanged when the term is null). */
export const addCost = (cost: Tensor, term: Tensor | null): Tensor => (term ? cost.add(term) : cost);

/** Options of the `Conv2d` layer: the convolution's, plus bias, dtype and generator. */
export interface Conv2dOptions extends LayerOptions, Conv2dOpOptions {
  bias?: boolean;
}

/**
 * 2-D convolution layer, weight [out, in / groups, kh, kw] with Kaiming-normal init, bias zero.
 * Output size tensors: with stride 1 the size is in + 2p - span + 1, an affine function of the
 * incoming size tensors (so it stays differentiable); with a larger stride it is a constant.
 * It adds its GMACs term at that size to the feature map's running cost.
 */
export class Conv2d extends Module implements CostedLayer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  lastOutputShape: readonly number[] | null = null;
  baseline: { h: number; w: number; gmacs: number } | null = null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntPair,
    opts: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = pair('Conv2d', 'kernelSize', kernelSize, 1, 1);
    this.stride = pair('Conv2d', 'stride', opts.stride, 1, 1);
    this.padding = pair('Conv2d', 'padding', opts.padding, 0, 0);
    this.dilation = pair('Conv2d', 'dilation', opts.dilation, 1, 1);
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(
        `Conv2d: groups=${this.groups} must divide in_channels=${inChannels} and out_channels=${outChannels}`,
      );
    }
    const fanIn = (inChannels / this.groups) * kh * kw;
    this.weight = this.param('weight', kaimingNormal([outChannels, inChannels / this.groups, kh, kw], fanIn, opts));
    this.bias = (opts.bias ?? false) ? this.param('bias', zeros([outChannels], { dtype: opts.dtype })) : null;
  }

  get kernelSize(): [number, number] {
    return [this.weight.shape[2], this.weight.shape[3]];
  }

  macsAt(h: number, w: number): number {
    const [kh, kw] = this.kernelSize;
    return h * w * this.outChannels * (this.inChannels / this.groups) * kh * kw;
  }

  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): FeatureMap {
    const y = conv2d(f.x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
    let size: readonly [Tensor, Tensor];
    if (this.stride[0] === 1 && this.stride[1] === 1) {
      const [kh, kw] = this.kernelSize;
      const shift = [
        2 * this.padding[0] - this.dilation[0] * (kh - 1),
        2 * this.padding[1] - this.dilation[1] * (kw - 1),
      ];
      size = [
        shift[0] === 0 ? f.size[0] : f.size[0].add(shift[0]),
        shift[1] === 0 ? f.size[1] : f.size[1].add(shift[1]),
      ];
    } else {
      size = featureMap(y).size;
    }
    this.lastOutputShape = y.shape;
    return { x: y, size, cost: addCost(f.cost, gmacsTerm(this, size)) };
  }
}

/** Options of the `BatchNorm2d` layer: eps, momentum, dtype. */
export interface BatchNorm2dOptions extends LayerOptions {
  eps?: number;
  momentum?: number;
}

/** Batch normalisation with affine weight (ones) and bias (zeros), running statistics as buffers. */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    opts: BatchNorm2dOptions = {},
  ) {
    super();
    const dtype = opts.dtype;
    this.weight = this.param('weight', ones([numFeatures], { dtype }));
    this.bias = this.param('bias', zeros([numFeatures], { dtype }));
    this.runningMean = this.buffer('running_mean', zeros([numFeatures], { dtype }));
    this.runningVar = this.buffer('running_var', ones([numFeatures], { dtype }));
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
  }

  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): FeatureMap {
    const x = batchNorm2d(f.x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
    return { ...f, x };
  }
}

/**
 * y = x W^T + b, weight [out, in], PyTorch's default uniform init. It works on plain tensors,
 * which carry no cost: its GMACs term (a constant, at size 1 x 1) is added by the model that
 * holds it (`ImageClassifier.forwardWithCost`).
 */
export class Linear extends Module<Tensor, Tensor> implements CostedLayer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  lastOutputShape: readonly number[] | null = null;
  baseline: { h: number; w: number; gmacs: number } | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', uniform([outFeatures, inFeatures], bound, opts));
    this.bias = (opts.bias ?? true) ? this.param('bias', uniform([outFeatures], bound, opts)) : null;
  }

  macsAt(): number {
    return this.inFeatures * this.outFeatures;
  }

  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias);
    this.lastOutputShape = y.shape;
    return y;
  }
}

/** Elementwise layers work on feature maps and on plain tensors alike. */
function mapX<T extends FeatureMap | Tensor>(input: T, fn: (x: Tensor) => Tensor): T {
  return ('x' in input && 'size' in input ? { ...input, x: fn(input.x) } : fn(input as Tensor)) as T;
}

/** ReLU as a layer, on tensors or feature maps (size and cost passed on). */
export class ReLU<T extends FeatureMap | Tensor = FeatureMap> extends Module<T, T> {
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(input: T): T {
    return mapX(input, (x) => x.relu());
  }
}

/** Dropout as a layer (active in training mode only), on tensors or feature maps. */
export class Dropout<T extends FeatureMap | Tensor = Tensor> extends Module<T, T> {
  constructor(
    readonly p: number,
    readonly generator?: Generator,
  ) {
    super();
  }
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(input: T): T {
    return mapX(input, (x) => dropout(x, this.p, { training: this.training, generator: this.generator }));
  }
}

export interface PoolLayerOptions {
  stride?: IntPair;
  padding?: IntPair;
}

/** Max pooling; its output size is a constant (a fixed resizing operator). */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: IntPair,
    readonly opts: PoolLayerOptions = {},
  ) {
    super();
  }
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): FeatureMap {
    return featureMap(maxPool2d(f.x, { kernelSize: this.kernelSize, ...this.opts }), undefined, f.cost);
  }
}

/** Average pooling as a layer (fixed size change, constant size tensors). */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: IntPair,
    readonly opts: PoolLayerOptions & { countIncludePad?: boolean } = {},
  ) {
    super();
  }
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): FeatureMap {
    return featureMap(avgPool2d(f.x, { kernelSize: this.kernelSize, ...this.opts }), undefined, f.cost);
  }
}

/** Mean over H and W: [N, C, H, W] -> [N, C] (never replaced by DynOPool, paper 4.4). */
export class GlobalAvgPool2d extends Module<FeatureMap, Tensor> {
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): Tensor {
    return globalAvgPool2d(f.x);
  }
}

/** [N, C, H, W] -> [N, C*H*W]. */
export class Flatten extends Module<FeatureMap, Tensor> {
  /** Applies the layer (a feature map keeps its size tensors when the spatial size does not change). */
  forward(f: FeatureMap): Tensor {
    return f.x.flatten(1);
  }
}
