/**
 * VGG with batchnorm for CIFAR-sized input (paper Table 1): 3x3 convolutions, a 2x2 max pool
 * after each block but the last, global average pooling and one linear layer. At 32x32 the
 * blocks run at 32, 16, 8, 4, 2 and VGG-16 costs 0.31 GMACs. With `dynopool`, each pool
 * becomes a DynOPool with alpha = (2, 2).
 */
import { Conv2d, BatchNorm2d, ReLU } from '../layers.js';
import { Sequential, type Module } from '../module.js';
import { assertWidth, ImageClassifier, poolResizer, scaled, type BackboneOptions } from './common.js';

/** Output channels of each convolution, one list per block; blocks are separated by a pool. */
export const VGG_CONFIGS = {
  /** a small VGG for quick experiments: blocks at 1, 1/2, 1/4, 1/8 of the input */
  vgg5: [[32], [64], [128], [128]],
  /** VGG-11 (see `vgg`). */
  vgg11: [[64], [128], [256, 256], [512, 512], [512, 512]],
  vgg13: [
    [64, 64],
    [128, 128],
    [256, 256],
    [512, 512],
    [512, 512],
  ],
  /** VGG-16 (see `vgg`). */
  vgg16: [
    [64, 64],
    [128, 128],
    [256, 256, 256],
    [512, 512, 512],
    [512, 512, 512],
  ],
} as const;

/** The VGG variants of `VGG_CONFIGS`. */
export type VggName = keyof typeof VGG_CONFIGS;

/**
 * A VGG backbone: 3x3 convolutions with batchnorm and ReLU, a 2x2 max pool (or DynOPool with
 * `dynopool: true`) between blocks, global average pooling and a linear classifier.
 */
export function vgg(
  name: VggName,
  opts: BackboneOptions = {},
  blocks: readonly (readonly number[])[] = VGG_CONFIGS[name],
): ImageClassifier {
  if (opts.width !== undefined) assertWidth(name, opts.width);
  const layers: Module[] = [];
  let inC = opts.inChannels ?? 3;
  blocks.forEach((block, b) => {
    if (b > 0) layers.push(poolResizer(opts.dynopool, opts.dtype));
    for (const c of block) {
      const outC = scaled(c, opts.width);
      layers.push(
        new Conv2d(inC, outC, 3, { padding: 1, dtype: opts.dtype, generator: opts.generator }),
        new BatchNorm2d(outC, { dtype: opts.dtype }),
        new ReLU(),
      );
      inC = outC;
    }
  });
  return new ImageClassifier(name, new Sequential(...layers), inC, opts);
}

/** VGG-16 (see `vgg`). */
export const vgg16 = (opts: BackboneOptions = {}): ImageClassifier => vgg('vgg16', opts);
/** VGG-11 (see `vgg`). */
export const vgg11 = (opts: BackboneOptions = {}): ImageClassifier => vgg('vgg11', opts);
