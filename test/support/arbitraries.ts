/**
 * Shared fast-check strategies. Values come from the library's seeded Generator (fast-check
 * draws only the seed), so a counterexample is a small, printable record: shapes, seed, options.
 */
import fc from 'fast-check';
import { Generator, tensor, type Tensor } from '../../src/index.js';

export const arbDim = (min = 1, max = 4) => fc.integer({ min, max });

/** A shape with 0..maxDims dims of sizes min..max. */
export const arbShape = (opts: { minDims?: number; maxDims?: number; min?: number; max?: number } = {}) =>
  fc.array(arbDim(opts.min ?? 1, opts.max ?? 4), { minLength: opts.minDims ?? 0, maxLength: opts.maxDims ?? 3 });

/**
 * Two shapes that broadcast together: a common shape, with dims of either side replaced by 1
 * or dropped from the front.
 */
export const arbBroadcastPair = () =>
  fc
    .record({
      base: arbShape({ minDims: 0, maxDims: 4, max: 3 }),
      onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      dropA: fc.integer({ min: 0, max: 4 }),
      dropB: fc.integer({ min: 0, max: 4 }),
    })
    .map(({ base, onesA, onesB, dropA, dropB }) => {
      const a = base.map((d, i) => (onesA[i] ? 1 : d)).slice(Math.min(dropA, base.length));
      const b = base.map((d, i) => (onesB[i] ? 1 : d)).slice(Math.min(dropB, base.length));
      return [a, b] as [number[], number[]];
    });

export const arbSeed = () => fc.integer({ min: 0, max: 2 ** 31 - 1 });

export interface ValueOptions {
  /** uniform range (default [-2, 2]) */
  lo?: number;
  hi?: number;
  /** keep every value at least `margin` away from each of these points (kinks) */
  awayFrom?: readonly number[];
  margin?: number;
  dtype?: 'float32' | 'float64';
}

/** Fills `shape` from a seeded generator, pushing values away from kinks. */
export function valuesFor(shape: readonly number[], seed: number, opts: ValueOptions = {}): Float64Array {
  const g = new Generator(seed);
  const lo = opts.lo ?? -2,
    hi = opts.hi ?? 2,
    margin = opts.margin ?? 0.05;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * g.uniform();
    for (const k of opts.awayFrom ?? []) {
      if (Math.abs(v - k) < margin) v = k + (v >= k ? margin : -margin);
    }
    out[i] = v;
  }
  return out;
}

export function tensorFor(shape: readonly number[], seed: number, opts: ValueOptions = {}): Tensor {
  return tensor(valuesFor(shape, seed, opts), { shape, dtype: opts.dtype ?? 'float64' });
}

/** Values that are pairwise at least `gap` apart (no ties for max/min), in random order. */
export function distinctValues(n: number, seed: number, gap = 0.05): Float64Array {
  const g = new Generator(seed);
  const order = g.shuffle(Array.from({ length: n }, (_, i) => i));
  return Float64Array.from(order, (k) => (k - n / 2) * gap + g.uniform() * gap * 0.3);
}
