/**
 * 2-D batch normalisation over NCHW, per channel c with M = N*H*W values:
 *
 *   training: mu = mean(x[:, c]), var = mean((x[:, c] - mu)^2)   (biased, as in the paper of Ioffe & Szegedy)
 *   eval:     mu = runningMean[c], var = runningVar[c]
 *   y = (x - mu) / sqrt(var + eps) * weight[c] + bias[c]
 *
 * Training mode also updates the running statistics in place with PyTorch's rule:
 *   runningMean = (1 - momentum) runningMean + momentum mu
 *   runningVar  = (1 - momentum) runningVar  + momentum var * M / (M - 1)   (unbiased)
 *
 * Gradients (xhat = (x - mu) / sqrt(var + eps)):
 *   dbias = sum dy, dweight = sum dy xhat,
 *   training: dx = weight / (M sqrt(var + eps)) (M dy - sum dy - xhat sum(dy xhat))  (through mu and var)
 *   eval:     dx = weight / sqrt(var + eps) dy
 */
import { defineOp } from '../../autograd/op.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { asTensor, assertCompatible, assertNdim, constant, runKernel, runKernel1 } from '../util.js';
import { batchNormApplyKernel, batchNormBackwardKernel, batchNormStatsKernel } from './batchnorm.kernels.js';

/** Affine parameters, running statistics and their update of `batchNorm2d`. */
export interface BatchNorm2dOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** mean/variance: the batch statistics (training) or the running ones (eval). */
interface Attrs {
  training: boolean;
  eps: number;
  mean: Tensor;
  variance: Tensor;
}

const batchNormOp = defineOp({
  name: 'batchNorm2d',
  inputs: ['x', 'weight', 'bias'],
  forward: ({ x, weight, bias }, { eps, mean, variance }: Attrs) => {
    const [N, C, H, W] = x.shape;
    const invStd = asTensor(1, x).div(variance.add(eps).sqrt());
    const output = runKernel1(batchNormApplyKernel, [x, mean, invStd, weight, bias], { N, C, HW: H * W });
    return { output, saved: invStd };
  },
  // one kernel computes all three gradients
  backward: (dy, { inputs: { x, weight }, saved: invStd, attrs }) => {
    const [N, C, H, W] = x.shape;
    const [dx, dweight, dbias] = runKernel(batchNormBackwardKernel, [x, dy, attrs.mean, invStd, weight], {
      N,
      C,
      HW: H * W,
      training: attrs.training,
    });
    return { x: dx, weight: dweight, bias: dbias };
  },
});

function assertChannelVector(name: string, t: Tensor | null | undefined, x: Tensor, C: number): void {
  if (t === null || t === undefined) return;
  assertCompatible('batchNorm2d', x, t, ['input', name]);
  if (t.ndim !== 1 || t.shape[0] !== C)
    throw new Error(`batchNorm2d: ${name} must have shape [${C}] for an input with ${C} channels, got ${fmt(t.shape)}`);
}

/** Batch normalisation of x [N, C, H, W] over N, H, W per channel (see the file comment). */
export function batchNorm2d(x: Tensor, opts: BatchNorm2dOptions = {}): Tensor {
  assertNdim('batchNorm2d', 'input', x, 4, 'N, C, H, W');
  const [N, C, H, W] = x.shape;
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(eps > 0)) throw new Error(`batchNorm2d: eps must be positive, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  for (const [name, t] of Object.entries({
    weight: opts.weight,
    bias: opts.bias,
    runningMean: opts.runningMean,
    runningVar: opts.runningVar,
  })) {
    assertChannelVector(name, t, x, C);
  }
  const M = N * H * W;
  if (training && M <= 1) {
    throw new Error(
      `batchNorm2d: expected more than 1 value per channel in training mode, got input of shape ${fmt(x.shape)}`,
    );
  }
  if (!training && (!opts.runningMean || !opts.runningVar)) {
    throw new Error('batchNorm2d: eval mode (training: false) needs runningMean and runningVar');
  }
  const ones = new (x.dtype === 'float64' ? Float64Array : Float32Array)(C).fill(1);
  const weight = opts.weight ?? constant(ones, [C], x);
  const bias =
    opts.bias ??
    constant(
      ones.map(() => 0),
      [C],
      x,
    );
  let mean: Tensor, variance: Tensor;
  if (training) {
    [mean, variance] = runKernel(batchNormStatsKernel, [x], { N, C, HW: H * W });
    const { runningMean, runningVar } = opts;
    if (runningMean)
      runningMean.assign(
        runningMean
          .detach()
          .mul(1 - momentum)
          .add(mean.mul(momentum)),
      );
    if (runningVar)
      runningVar.assign(
        runningVar
          .detach()
          .mul(1 - momentum)
          .add(variance.mul((momentum * M) / (M - 1))),
      );
  } else {
    mean = opts.runningMean!.detach();
    variance = opts.runningVar!.detach();
  }
  return batchNormOp({ x, weight, bias }, { training, eps, mean, variance });
}
