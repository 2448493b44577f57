/** Pieces shared by the backbones: the classifier shell, channel scaling, and resizers. */
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import { recordComplexityBaseline } from '../complexity.js';
import { DynOPool } from '../dynopool.js';
import { asTensor } from '../../ops/util.js';
import { addCost, BatchNorm2d, Conv2d, gmacsTerm, GlobalAvgPool2d, Linear, MaxPool2d } from '../layers.js';
import { featureMap, Module, Sequential, type FeatureMap } from '../module.js';

/** Options shared by every backbone (classes, input channels and size, width, DynOPool, dtype). */
export interface BackboneOptions {
  numClasses?: number;
  inChannels?: number;
  /** Input [H, W] used for the complexity baseline (default [32, 32], CIFAR). */
  inputSize?: readonly [number, number];
  /** Channel width multiplier for small-scale runs (default 1). */
  width?: number;
  /** Replace every resizing operator except the final global pool by DynOPool (paper 4.4). */
  dynopool?: boolean;
  dtype?: DType;
  generator?: Generator;
}

/** The largest channel width multiplier a backbone accepts (16: VGG-16 with 8 192 channels). */
export const MAX_WIDTH = 16;

/** Refuses a width multiplier that is not a number in (0, MAX_WIDTH]. */
export function assertWidth(arch: string, width: unknown): asserts width is number {
  if (typeof width !== 'number' || !(width > 0 && width <= MAX_WIDTH)) {
    throw new Error(
      `${arch}: width must be a number in (0, ${MAX_WIDTH}], got ${typeof width === 'number' ? width : JSON.stringify(width)} (the channel multiplier: 0.25 for quick runs, 1 for the paper's models)`,
    );
  }
}

/** A channel count times the width multiplier, rounded, at least 1. */
export const scaled = (channels: number, width = 1): number => Math.max(1, Math.round(channels * width));

/** What one forward pass of a classifier yields: the logits and their cost. */
export interface ClassifierOutput {
  /** [N, numClasses] */
  readonly logits: Tensor;
  /**
   * The paper's GMACs loss of this forward pass (eq. 7): a 0-d tensor whose value is the
   * model's GMACs per image at this forward's sizes, differentiable w.r.t. every alpha.
   */
  readonly gmacs: Tensor;
}

/** features -> global average pool -> linear classifier. */
export class ImageClassifier extends Module<Tensor, Tensor> {
  readonly features: Sequential;
  readonly pool: GlobalAvgPool2d;
  readonly classifier: Linear;

  constructor(
    readonly arch: string,
    features: Sequential,
    featureChannels: number,
    opts: BackboneOptions,
  ) {
    super();
    this.features = this.child('features', features);
    this.pool = this.child('pool', new GlobalAvgPool2d());
    this.classifier = this.child('classifier', new Linear(featureChannels, opts.numClasses ?? 10, opts));
    const [h, w] = opts.inputSize ?? [32, 32];
    recordComplexityBaseline(this, [opts.inChannels ?? 3, h, w]);
  }

  /** The logits of x [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return this.forwardWithCost(x).logits;
  }

  /**
   * One forward pass returning the logits and the GMACs loss it incurred: the features' running
   * cost plus the classifier's term (a linear layer's size is 1 x 1, so its term is constant).
   */
  forwardWithCost(x: Tensor): ClassifierOutput {
    const f = this.features.forward(featureMap(x));
    const logits = this.classifier.forward(this.pool.forward(f));
    return { logits, gmacs: addCost(f.cost, gmacsTerm(this.classifier, [asTensor(1, logits), asTensor(1, logits)])) };
  }
}

/** 2x downsampling by max pooling, or a DynOPool initialised to alpha = (2, 2). */
export function poolResizer(dynopool: boolean | undefined, dtype?: DType): Module {
  return dynopool ? new DynOPool({ alpha: 2, dtype }) : new MaxPool2d(2);
}

/** conv (no bias) -> batchnorm, a strided conv becoming conv(stride 1) -> DynOPool when asked. */
export function convBn(
  inC: number,
  outC: number,
  k: number,
  stride: number,
  opts: BackboneOptions & { groups?: number; pool?: DynOPool },
): Sequential {
  const padding = Math.floor(k / 2);
  const common = { padding, groups: opts.groups, dtype: opts.dtype, generator: opts.generator };
  const layers: Module[] = [];
  if (stride > 1 && opts.dynopool) {
    layers.push(
      new Conv2d(inC, outC, k, { ...common, stride: 1 }),
      opts.pool ?? new DynOPool({ alpha: stride, dtype: opts.dtype }),
    );
  } else {
    layers.push(new Conv2d(inC, outC, k, { ...common, stride }));
  }
  layers.push(new BatchNorm2d(outC, { dtype: opts.dtype }));
  return new Sequential(...layers);
}

/** ReLU6 = clamp(x, 0, 6) (MobileNetV2). d/dx = 1 on [0, 6] (boundaries included, as clamp). */
export class ReLU6 extends Module {
  /** Applies the layer. */
  forward(f: FeatureMap): FeatureMap {
    return { ...f, x: f.x.clamp(0, 6) };
  }
}
