/** Weight initialisers (seeded), returning fresh tensors. */
import { fromTypedArray } from '../tensor/creation.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { sizeOf, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** dtype and random generator of an initialiser. */
export interface InitOptions {
  dtype?: DType;
  generator?: Generator;
}

/** Kaiming/He normal, fan-in, gain sqrt(2) (for ReLU networks): N(0, 2 / fan_in). */
export function kaimingNormal(shape: Shape, fanIn: number, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const std = Math.sqrt(2 / fanIn);
  const data = allocate(opts.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.normal() * std;
  return fromTypedArray(data, shape);
}

/** U(-bound, bound), PyTorch's default for Linear weights and biases with bound = 1 / sqrt(fan_in). */
export function uniform(shape: Shape, bound: number, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const data = allocate(opts.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * g.uniform() - 1) * bound;
  return fromTypedArray(data, shape);
}
