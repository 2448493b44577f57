/**
 * Image transforms on NCHW float32 data.
 *
 * Dataset-level (the paper's toy datasets, section 3), applied once with a seeded generator:
 *   stretch: stretch vertically x2, then crop a random window back to the original size;
 *   tile:    halve, then tile the half-size image 4 x 4 (a 2x larger image of 16 copies);
 *   large:   halve, then upsample to 2x the original size (same content, coarser detail).
 * Batch-level augmentation: random crop with zero padding and horizontal flip; normalisation.
 */
import { Generator } from '../tensor/random.js';
import { makeSplit, type Dataset, type Split } from './dataset.js';

/** Bilinear resize of one C x H x W image (align_corners = false, border replicate). */
export function resize(src: Float32Array, C: number, H: number, W: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(C * outH * outW);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < outH; i++) {
      const u = Math.min(Math.max((i + 0.5) * (H / outH) - 0.5, 0), H - 1);
      const u0 = Math.floor(u),
        u1 = Math.min(u0 + 1, H - 1),
        fu = u - u0;
      for (let j = 0; j < outW; j++) {
        const v = Math.min(Math.max((j + 0.5) * (W / outW) - 0.5, 0), W - 1);
        const v0 = Math.floor(v),
          v1 = Math.min(v0 + 1, W - 1),
          fv = v - v0;
        const p = (r: number, q: number) => src[(c * H + r) * W + q];
        out[(c * outH + i) * outW + j] =
          (1 - fu) * ((1 - fv) * p(u0, v0) + fv * p(u0, v1)) + fu * ((1 - fv) * p(u1, v0) + fv * p(u1, v1));
      }
    }
  }
  return out;
}

/** The paper's toy transforms (section 3; see the file comment). */
export const TOY_TRANSFORMS = ['stretch', 'tile', 'large'] as const;
/** One of the paper's toy transforms. */
export type ToyTransform = (typeof TOY_TRANSFORMS)[number];

/** `ds` with the toy transform `kind` applied to every image (seeded). */
export function applyToyTransform(ds: Dataset, kind: ToyTransform, seed = 0): Dataset {
  const [C, H, W] = ds.shape;
  const g = new Generator(seed);
  const outShape: [number, number, number] = kind === 'stretch' ? [C, H, W] : [C, 2 * H, 2 * W];
  const per = C * H * W,
    outPer = outShape[0] * outShape[1] * outShape[2];
  const one = (img: Float32Array): Float32Array => {
    if (kind === 'stretch') {
      const tall = resize(img, C, H, W, 2 * H, W);
      const top = g.int(H + 1);
      const out = new Float32Array(per);
      for (let c = 0; c < C; c++) out.set(tall.subarray((c * 2 * H + top) * W, (c * 2 * H + top + H) * W), c * H * W);
      return out;
    }
    const half = resize(img, C, H, W, Math.floor(H / 2), Math.floor(W / 2));
    if (kind === 'large') return resize(half, C, Math.floor(H / 2), Math.floor(W / 2), 2 * H, 2 * W);
    const hh = Math.floor(H / 2),
      hw = Math.floor(W / 2),
      OH = 2 * H,
      OW = 2 * W;
    const out = new Float32Array(outPer);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          out[(c * OH + i) * OW + j] = half[(c * hh + (i % hh)) * hw + (j % hw)];
        }
    return out;
  };
  const map = (split: Split): Split => {
    const images = new Float32Array(split.count * outPer);
    for (let i = 0; i < split.count; i++) images.set(one(split.images.subarray(i * per, (i + 1) * per)), i * outPer);
    return makeSplit(images, split.labels, outShape, `${ds.name}-${kind}`);
  };
  return { ...ds, name: `${ds.name}-${kind}`, shape: outShape, train: map(ds.train), test: map(ds.test) };
}

export interface Augment {
  /** zero padding for random crops (0: no crop) */
  cropPadding: number;
  flip: boolean;
}

/** Random crop (with zero padding) and horizontal flip of a batch, in place, from `g`. */
export function augmentBatch(x: Float32Array, n: number, shape: readonly number[], aug: Augment, g: Generator): void {
  const [C, H, W] = shape;
  const per = C * H * W;
  const tmp = new Float32Array(per);
  for (let k = 0; k < n; k++) {
    const img = x.subarray(k * per, (k + 1) * per);
    const p = aug.cropPadding;
    const dy = p > 0 ? g.int(2 * p + 1) - p : 0,
      dx = p > 0 ? g.int(2 * p + 1) - p : 0;
    const flip = aug.flip && g.uniform() < 0.5;
    if (dy === 0 && dx === 0 && !flip) continue;
    tmp.fill(0);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H; i++) {
        const si = i + dy;
        if (si < 0 || si >= H) continue;
        for (let j = 0; j < W; j++) {
          const sj = (flip ? W - 1 - j : j) + dx;
          if (sj >= 0 && sj < W) tmp[(c * H + i) * W + j] = img[(c * H + si) * W + sj];
        }
      }
    img.set(tmp);
  }
}

/** (x - mean[c]) / std[c], in place. */
export function normalize(
  x: Float32Array,
  n: number,
  shape: readonly number[],
  mean: readonly number[],
  std: readonly number[],
): void {
  const [C, H, W] = shape;
  for (let k = 0; k < n; k++)
    for (let c = 0; c < C; c++) {
      const o = (k * C + c) * H * W;
      for (let p = 0; p < H * W; p++) x[o + p] = (x[o + p] - mean[c]) / std[c];
    }
}
