/**
 * Image classification datasets held in memory as float32 NCHW arrays, plus seeded batching.
 */
import { fromTypedArray } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The dataset names `loadDataset` (src/data/registry.ts) and the CLI accept. */
export const DATASETS = ['barcodes', 'rings', 'mnist', 'fashion-mnist', 'cifar10', 'cifar100'] as const;

/** One split (train or test): images and labels. */
export interface Split {
  /** N * C * H * W values, row-major. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** An image classification dataset in memory. */
export interface Dataset {
  readonly name: string;
  /** [C, H, W] of one image. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly train: Split;
  readonly test: Split;
}

/** A split from images and labels, checking that they agree with `shape`; `who` names it in errors. */
export function makeSplit(images: Float32Array, labels: Int32Array, shape: readonly number[], who: string): Split {
  const per = shape[0] * shape[1] * shape[2];
  if (images.length !== labels.length * per) {
    throw new Error(
      `${who}: ${images.length} values for ${labels.length} images of shape [${shape.join(', ')}] (expected ${labels.length * per})`,
    );
  }
  return { images, labels, count: labels.length };
}

/** Copies the images at `indices` into one batch tensor [n, C, H, W] and their labels. */
export function gather(
  split: Split,
  shape: readonly number[],
  indices: ArrayLike<number>,
): { x: Float32Array; labels: Int32Array } {
  const per = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    x.set(split.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = split.labels[k];
  }
  return { x, labels };
}

/**
 * The order of epoch `epoch`: a permutation derived from (seed, epoch) alone, so a run that
 * resumes mid-epoch sees exactly the batches it would have seen.
 */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return new Generator(seed * 1_000_003 + epoch * 7919 + 17).shuffle(Array.from({ length: count }, (_, i) => i));
}

export interface Batch {
  x: Tensor;
  labels: Int32Array;
  index: number;
}

/** Per-channel mean and standard deviation over a split (for normalisation). */
export function channelStats(split: Split, shape: readonly number[]): { mean: number[]; std: number[] } {
  const [C, H, W] = shape;
  const mean: number[] = [],
    std: number[] = [];
  for (let c = 0; c < C; c++) {
    let s = 0,
      q = 0,
      n = 0;
    for (let i = 0; i < split.count; i++) {
      const o = (i * C + c) * H * W;
      for (let p = 0; p < H * W; p++) {
        const v = split.images[o + p];
        s += v;
        q += v * v;
        n++;
      }
    }
    const m = s / n;
    mean.push(m);
    std.push(Math.sqrt(Math.max(q / n - m * m, 1e-12)));
  }
  return { mean, std };
}

export function toTensor(x: Float32Array, n: number, shape: readonly number[]): Tensor {
  return fromTypedArray(x, [n, ...shape]);
}
