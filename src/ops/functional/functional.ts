/** Layers that are plain compositions of other ops (autograd derives their gradients). */
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { allocate } from '../../tensor/dtype.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { assertCompatible, constant } from '../util.js';

/** y = x W^T + b with PyTorch's layout: weight [out, in], bias [out] or null; x [..., in]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  assertCompatible('linear', x, weight, ['input', 'weight']);
  if (weight.ndim !== 2)
    throw new Error(`linear: weight must be 2-D [out_features, in_features], got ${fmt(weight.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(
      `linear: input has ${x.shape[x.ndim - 1]} features (shape ${fmt(x.shape)}), weight ${fmt(weight.shape)} expects ${weight.shape[1]}`,
    );
  }
  const y = x.matmul(weight.transpose());
  if (bias === null) return y;
  assertCompatible('linear', x, bias, ['input', 'bias']);
  if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new Error(`linear: bias must have shape [${weight.shape[0]}], got ${fmt(bias.shape)}`);
  }
  return y.add(bias);
}

/** Training flag and generator of `dropout` (the drop probability is an argument). */
export interface DropoutOptions {
  training?: boolean;
  generator?: Generator;
}

/**
 * Inverted dropout: in training, each element is zeroed with probability p and the rest are
 * scaled by 1 / (1 - p), so eval mode is the identity. d/dx = mask / (1 - p).
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!(opts.training ?? true) || p === 0) return x;
  const g = opts.generator ?? defaultGenerator;
  const mask = allocate(x.dtype, x.size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < p ? 0 : keep;
  return x.mul(constant(mask, x.shape, x));
}
