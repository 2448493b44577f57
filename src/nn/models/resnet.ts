/**
 * ResNets for CIFAR-sized input: a 3x3 stem without max pooling.
 *
 * - resnet50: bottleneck blocks [3, 4, 6, 3], widths 64..512 (x4), stages at 32, 16, 8, 4
 *   (paper Table 1; stride on the 3x3 convolution, as torchvision's v1.5).
 * - resnet20: basic blocks [3, 3, 3], widths 16, 32, 64, stages at 32, 16, 8 (He et al. CIFAR).
 *
 * With `dynopool`, a block's strided 3x3 convolution becomes conv(stride 1) -> DynOPool, and the
 * projection shortcut conv(1x1, stride 1) -> the SAME DynOPool module: one alpha per block, so
 * both branches always have the same size and can be added.
 */
import { DynOPool } from '../dynopool.js';
import { ReLU } from '../layers.js';
import { featureMap, Module, Sequential, type FeatureMap } from '../module.js';
import { assertWidth, convBn, ImageClassifier, scaled, type BackboneOptions } from './common.js';

class ResidualBlock extends Module {
  readonly body: Sequential;
  readonly shortcut: Sequential | null;

  constructor(body: Module[], shortcut: Sequential | null) {
    super();
    this.body = this.child('body', new Sequential(...body));
    this.shortcut = shortcut ? this.child('shortcut', shortcut) : null;
  }

  /**
   * relu(body(f) + shortcut(f)). The body's cost already includes f's; the projection
   * shortcut starts its own count from 0, so that f's cost is not counted twice.
   */
  forward(f: FeatureMap): FeatureMap {
    const main = this.body.forward(f);
    if (!this.shortcut) return { ...main, x: main.x.add(f.x).relu() };
    const skip = this.shortcut.forward(featureMap(f.x, f.size));
    return { x: main.x.add(skip.x).relu(), size: main.size, cost: main.cost.add(skip.cost) };
  }
}

function blockPool(stride: number, opts: BackboneOptions): DynOPool | undefined {
  return stride > 1 && opts.dynopool ? new DynOPool({ alpha: stride, dtype: opts.dtype }) : undefined;
}

function bottleneck(inC: number, planes: number, stride: number, opts: BackboneOptions): ResidualBlock {
  const outC = planes * 4;
  const pool = blockPool(stride, opts);
  const body = [
    convBn(inC, planes, 1, 1, opts),
    new ReLU(),
    convBn(planes, planes, 3, stride, { ...opts, pool }),
    new ReLU(),
    convBn(planes, outC, 1, 1, opts),
  ];
  const shortcut = stride !== 1 || inC !== outC ? convBn(inC, outC, 1, stride, { ...opts, pool }) : null;
  return new ResidualBlock(body, shortcut);
}

function basic(inC: number, outC: number, stride: number, opts: BackboneOptions): ResidualBlock {
  const pool = blockPool(stride, opts);
  const body = [convBn(inC, outC, 3, stride, { ...opts, pool }), new ReLU(), convBn(outC, outC, 3, 1, opts)];
  const shortcut = stride !== 1 || inC !== outC ? convBn(inC, outC, 1, stride, { ...opts, pool }) : null;
  return new ResidualBlock(body, shortcut);
}

/** ResNet-50 (bottleneck blocks); with `dynopool: true` each strided block downsamples with DynOPool. */
export function resnet50(opts: BackboneOptions = {}): ImageClassifier {
  if (opts.width !== undefined) assertWidth('resnet50', opts.width);
  const w = (c: number) => scaled(c, opts.width);
  const layers: Module[] = [convBn(opts.inChannels ?? 3, w(64), 3, 1, opts), new ReLU()];
  let inC = w(64);
  [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ].forEach(([planes, blocks, stride]) => {
    for (let i = 0; i < blocks; i++) {
      layers.push(bottleneck(inC, w(planes), i === 0 ? stride : 1, opts));
      inC = w(planes) * 4;
    }
  });
  return new ImageClassifier('resnet50', new Sequential(...layers), inC, opts);
}

/** ResNet-20 for CIFAR; with `dynopool: true` each strided block downsamples with DynOPool. */
export function resnet20(opts: BackboneOptions = {}): ImageClassifier {
  if (opts.width !== undefined) assertWidth('resnet20', opts.width);
  const w = (c: number) => scaled(c, opts.width);
  const layers: Module[] = [convBn(opts.inChannels ?? 3, w(16), 3, 1, opts), new ReLU()];
  let inC = w(16);
  [
    [16, 1],
    [32, 2],
    [64, 2],
  ].forEach(([c, stride]) => {
    for (let i = 0; i < 3; i++) {
      layers.push(basic(inC, w(c), i === 0 ? stride : 1, opts));
      inC = w(c);
    }
  });
  return new ImageClassifier('resnet20', new Sequential(...layers), inC, opts);
}
