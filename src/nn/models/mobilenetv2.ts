/**
 * MobileNetV2 for CIFAR-sized input (the common CIFAR variant: stride-1 stem and the first
 * stride-2 stage kept at stride 1), stages at 32, 16, 8, 4, 0.09 GMACs at width 1.
 * Inverted residual: 1x1 expand -> 3x3 depthwise (stride s) -> 1x1 project, with a residual
 * when stride 1 and channels match. With `dynopool`, the strided depthwise convolution becomes
 * depthwise(stride 1) -> DynOPool.
 */
import { Module, Sequential, type FeatureMap } from '../module.js';
import { assertWidth, convBn, ImageClassifier, ReLU6, scaled, type BackboneOptions } from './common.js';

class InvertedResidual extends Module {
  readonly body: Sequential;
  constructor(
    inC: number,
    outC: number,
    expand: number,
    stride: number,
    opts: BackboneOptions,
    readonly residual = stride === 1 && inC === outC,
  ) {
    super();
    const hidden = inC * expand;
    const layers: Module[] = [];
    if (expand !== 1) layers.push(convBn(inC, hidden, 1, 1, opts), new ReLU6());
    layers.push(
      convBn(hidden, hidden, 3, stride, { ...opts, groups: hidden }),
      new ReLU6(),
      convBn(hidden, outC, 1, 1, opts),
    );
    this.body = this.child('body', new Sequential(...layers));
  }
  forward(f: FeatureMap): FeatureMap {
    const y = this.body.forward(f);
    return this.residual ? { ...y, x: y.x.add(f.x) } : y;
  }
}

/** (expansion t, channels c, repeats n, stride s) per stage. */
const CIFAR_STAGES = [
  [1, 16, 1, 1],
  [6, 24, 2, 1],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
] as const;

/** MobileNetV2; with `dynopool: true` its strided convolutions become stride 1 + DynOPool (paper 4.4). */
export function mobilenetv2(opts: BackboneOptions = {}): ImageClassifier {
  if (opts.width !== undefined) assertWidth('mobilenetv2', opts.width);
  const w = (c: number) => scaled(c, opts.width);
  const layers: Module[] = [convBn(opts.inChannels ?? 3, w(32), 3, 1, opts), new ReLU6()];
  let inC = w(32);
  for (const [t, c, n, s] of CIFAR_STAGES) {
    for (let i = 0; i < n; i++) {
      layers.push(new InvertedResidual(inC, w(c), t, i === 0 ? s : 1, opts));
      inC = w(c);
    }
  }
  const last = Math.max(1280, w(1280));
  layers.push(convBn(inC, last, 1, 1, opts), new ReLU6());
  return new ImageClassifier('mobilenetv2', new Sequential(...layers), last, opts);
}
