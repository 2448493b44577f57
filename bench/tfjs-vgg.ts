/**
 * The tfjs peer of dynopool's CIFAR VGG (src/nn/models/vgg.ts) for the train-step benchmark,
 * written with tfjs-core ops in NHWC: per block (a 2x2 max pool before every block but the
 * first) 3x3 convolutions with padding 1 and no bias, each followed by training-mode batchnorm
 * (batch statistics, eps 1e-5, running statistics updated with momentum 0.1 and the unbiased
 * variance) and ReLU; then global average pooling and a linear classifier (ImageClassifier).
 * Loss: softmax cross-entropy, mean over the batch; update: SGD with momentum 0.9 (PyTorch's).
 *
 * Gradients: by default the convolutions' are the XNNPACK convolutions of bench/tfjs.ts and
 * batchnorm's the closed form (`conv3x3`, `batchNormTrain`); `autodiff: true` builds the same
 * model on tf's own gradients (tf.conv2d, tf.moments + tf.batchNorm), which the benchmark checks
 * them against before timing anything.
 */
import { VGG_CONFIGS, scaled, type VggName } from '../src/index.js';
import { batchNormTrain, conv3x3, tf } from './tfjs.js';

export interface TfVggOptions {
  width?: number;
  numClasses: number;
  inChannels?: number;
  /** tf's own gradients instead of the XNNPACK-convolution ones (for the check) */
  autodiff?: boolean;
  lr?: number;
  momentum?: number;
}

interface Conv {
  w: tf.Variable;
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
  ci: number;
  co: number;
}

/**
 * Parameters in dynopool's order (namedParameters: per conv its weight, then its batchnorm's
 * weight and bias; the classifier's weight and bias last), each in tfjs's layout: a conv weight
 * [3, 3, Ci, Co] (ours [Co, Ci, 3, 3]), the classifier weight [in, out] (ours [out, in]).
 */
export class TfVgg {
  readonly blocks: Conv[][];
  readonly classifierW: tf.Variable;
  readonly classifierB: tf.Variable;
  readonly params: tf.Variable[];
  readonly momentumBuffers: tf.Variable[];
  /** multiply-adds of one image's forward pass, counted from the shapes the last forward produced */
  macsPerImage = 0;
  readonly autodiff: boolean;
  readonly lr: number;
  readonly momentum: number;

  constructor(
    readonly arch: VggName,
    opts: TfVggOptions,
  ) {
    this.autodiff = opts.autodiff ?? false;
    this.lr = opts.lr ?? 0.01;
    this.momentum = opts.momentum ?? 0.9;
    let ci = opts.inChannels ?? 3;
    const v = (init: () => tf.Tensor, trainable = true) => {
      const t = tf.tidy(init);
      const variable = tf.variable(t, trainable);
      t.dispose();
      return variable;
    };
    this.blocks = VGG_CONFIGS[arch].map((block) =>
      block.map((c) => {
        const co = scaled(c, opts.width);
        const conv: Conv = {
          w: v(() => tf.mul(tf.randomNormal([3, 3, ci, co]), Math.sqrt(2 / (9 * ci)))),
          gamma: v(() => tf.ones([co])),
          beta: v(() => tf.zeros([co])),
          runningMean: v(() => tf.zeros([co]), false),
          runningVar: v(() => tf.ones([co]), false),
          ci,
          co,
        };
        ci = co;
        return conv;
      }),
    );
    const bound = 1 / Math.sqrt(ci);
    this.classifierW = v(() => tf.randomUniform([ci, opts.numClasses], -bound, bound));
    this.classifierB = v(() => tf.randomUniform([opts.numClasses], -bound, bound));
    this.params = [...this.blocks.flat().flatMap((c) => [c.w, c.gamma, c.beta]), this.classifierW, this.classifierB];
    this.momentumBuffers = this.params.map((p) => v(() => tf.zerosLike(p), false));
  }

  get paramCount(): number {
    return this.params.reduce((a, p) => a + p.size, 0);
  }

  /** Copies dynopool's parameters (namedParameters order, dynopool's layouts) into this model. */
  loadFrom(ours: { shape: readonly number[]; data: Float32Array }[]): void {
    if (ours.length !== this.params.length)
      throw new Error(`TfVgg.loadFrom: ${ours.length} parameters for ${this.params.length}`);
    tf.tidy(() =>
      this.params.forEach((p, i) => {
        const t = tf.tensor(ours[i].data, [...ours[i].shape]);
        const value = t.rank === 4 ? tf.transpose(t, [2, 3, 1, 0]) : t.rank === 2 ? tf.transpose(t) : t;
        if (value.shape.join() !== p.shape.join())
          throw new Error(`TfVgg.loadFrom: parameter ${i} is [${ours[i].shape}], expected one for [${p.shape}]`);
        p.assign(value);
      }),
    );
  }

  /** Converts a gradient or parameter of this model back to dynopool's layout. */
  static toOurLayout(t: tf.Tensor): Float32Array {
    return tf.tidy(() => {
      const v = t.rank === 4 ? tf.transpose(t, [3, 2, 0, 1]) : t.rank === 2 ? tf.transpose(t) : t;
      return v.dataSync() as Float32Array;
    });
  }

  /** The logits [N, classes] of x [N, H, W, C]; the batch statistics of every batchnorm go to `stats`. */
  forward(x: tf.Tensor4D, stats: { mean: tf.Tensor; variance: tf.Tensor }[]): tf.Tensor2D {
    let h = x;
    let macs = 0;
    this.blocks.forEach((block, b) => {
      if (b > 0) h = tf.maxPool(h, 2, 2, 'valid');
      for (const c of block) {
        const first = h === x;
        h = this.autodiff
          ? tf.conv2d(h, c.w as tf.Tensor4D, 1, 'same')
          : conv3x3(h, c.w as tf.Tensor4D, { inputGrad: !first });
        macs += h.shape[1] * h.shape[2] * c.co * c.ci * 9;
        if (this.autodiff) {
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          stats.push({ mean: tf.keep(mean), variance: tf.keep(variance) });
          h = tf.batchNorm(h, mean, variance, c.beta as tf.Tensor1D, c.gamma as tf.Tensor1D, 1e-5) as tf.Tensor4D;
        } else {
          const bn = batchNormTrain(h, c.gamma as tf.Tensor1D, c.beta as tf.Tensor1D);
          stats.push({ mean: bn.mean, variance: bn.variance });
          h = bn.y;
        }
        h = tf.relu(h);
      }
    });
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    macs += this.classifierW.size;
    this.macsPerImage = macs;
    return tf.add(tf.matMul(pooled, this.classifierW), this.classifierB);
  }

  /** The loss of one batch and the gradient of every parameter (no update). */
  lossAndGrads(x: tf.Tensor4D, onehot: tf.Tensor2D): { loss: number; grads: tf.Tensor[] } {
    const stats: { mean: tf.Tensor; variance: tf.Tensor }[] = [];
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(onehot, this.forward(x, stats)) as tf.Scalar,
      this.params,
    );
    stats.forEach((s) => tf.dispose([s.mean, s.variance]));
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads: this.params.map((p) => grads[p.name]) };
  }

  /** One training step (forward, loss, backward, SGD momentum, running statistics); returns the loss. */
  step(x: tf.Tensor4D, onehot: tf.Tensor2D): number {
    const stats: { mean: tf.Tensor; variance: tf.Tensor }[] = [];
    const value = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(onehot, this.forward(x, stats)) as tf.Scalar,
        this.params,
      );
      this.params.forEach((p, i) => {
        const buf = tf.add(tf.mul(this.momentumBuffers[i], this.momentum), grads[p.name]);
        this.momentumBuffers[i].assign(buf);
        p.assign(tf.sub(p, tf.mul(buf, this.lr)));
      });
      const M = x.shape[0] * x.shape[1] * x.shape[2];
      this.blocks.flat().forEach((c, i) => {
        // the spatial size of layer i is in its statistics' count: M / 4^(pools before it)
        const m = M / 4 ** this.blocks.findIndex((block) => block.includes(c));
        c.runningMean.assign(tf.add(tf.mul(c.runningMean, 0.9), tf.mul(stats[i].mean, 0.1)));
        c.runningVar.assign(tf.add(tf.mul(c.runningVar, 0.9), tf.mul(stats[i].variance, (0.1 * m) / (m - 1))));
      });
      return value;
    });
    stats.forEach((s) => tf.dispose([s.mean, s.variance]));
    const loss = value.dataSync()[0];
    value.dispose();
    return loss;
  }

  dispose(): void {
    tf.dispose([
      ...this.params,
      ...this.momentumBuffers,
      ...this.blocks.flat().flatMap((c) => [c.runningMean, c.runningVar]),
    ]);
  }
}
