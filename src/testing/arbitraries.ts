/**
 * fast-check strategies for tensors and op geometries. Values come from dynopool's seeded
 * Generator (fast-check draws only the seed), so a counterexample is a small, printable record:
 * shapes, seed, options.
 */
import fc from 'fast-check';
import { tensor } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** A dimension size in [min, max]. */
export const arbDim = (min = 1, max = 4): fc.Arbitrary<number> => fc.integer({ min, max });

/** Rank and dimension bounds of `arbShape`. */
export interface ShapeOptions {
  /** fewest dims (default 0: a scalar) */
  minDims?: number;
  /** most dims (default 3) */
  maxDims?: number;
  /** smallest size of a dim (default 1) */
  min?: number;
  /** largest size of a dim (default 4) */
  max?: number;
}

/** A shape with minDims..maxDims dims (default 0..3) of sizes min..max (default 1..4). */
export const arbShape = (opts: ShapeOptions = {}): fc.Arbitrary<number[]> =>
  fc.array(arbDim(opts.min ?? 1, opts.max ?? 4), { minLength: opts.minDims ?? 0, maxLength: opts.maxDims ?? 3 });

/**
 * Two shapes that broadcast together: a common shape, with dims of either side replaced by 1
 * or dropped from the front.
 */
export const arbBroadcastPair = (): fc.Arbitrary<[number[], number[]]> =>
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

/** A seed for dynopool's Generator. */
export const arbSeed = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Value range, kinks to keep away from (`awayFrom`, `margin`) and dtype of generated values. */
export interface ValueOptions {
  /** uniform range (default [-2, 2]) */
  lo?: number;
  hi?: number;
  /** keep every value at least `margin` away from each of these points (kinks) */
  awayFrom?: readonly number[];
  /** (default 0.05) */
  margin?: number;
  /** (default float64, what gradcheck needs) */
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

/** A tensor of `shape` with `valuesFor(shape, seed, opts)`, float64 unless `opts.dtype` says otherwise. */
export function tensorFor(shape: readonly number[], seed: number, opts: ValueOptions = {}): Tensor {
  return tensor(valuesFor(shape, seed, opts), { shape, dtype: opts.dtype ?? 'float64' });
}

/** Shape and value options of `arbTensor`. */
export interface TensorArbOptions extends ValueOptions {
  /** a fixed shape, or an arbitrary of shapes (default `arbShape()`: 0..3 dims of 1..4) */
  shape?: readonly number[] | fc.Arbitrary<number[]>;
}

/**
 * Tensors (float64 by default) whose values are uniform in [lo, hi] and at least `margin` away
 * from each of `awayFrom`, e.g. `arbTensor({ awayFrom: [0] })` for an op with a kink at 0. A
 * counterexample prints as the call that rebuilds it: `tensorFor([2, 3], 1234, {...})`.
 */
export function arbTensor(opts: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const { shape, ...values } = opts;
  const shapes = shape === undefined ? arbShape() : Array.isArray(shape) ? fc.constant([...shape]) : shape;
  return fc.tuple(shapes as fc.Arbitrary<number[]>, arbSeed()).map(([s, seed]) => {
    const t = tensorFor(s, seed, values);
    const recipe = `tensorFor(${fc.stringify(s)}, ${seed}${Object.keys(values).length ? `, ${fc.stringify(values)}` : ''})`;
    Object.defineProperty(t, fc.toStringMethod, { value: () => recipe, enumerable: false });
    return t;
  });
}

/** Values that are pairwise at least `gap` apart (no ties for max/min), in random order. */
export function distinctValues(n: number, seed: number, gap = 0.05): Float64Array {
  const g = new Generator(seed);
  const order = g.shuffle(Array.from({ length: n }, (_, i) => i));
  return Float64Array.from(order, (k) => (k - n / 2) * gap + g.uniform() * gap * 0.3);
}

/** Values on the lattice k * step + offset (k integer): two lattices with different offsets never tie. */
export function latticeValues(n: number, seed: number, offset: number, step = 0.1, span = 40): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s % span) - span / 2) * step + offset;
  });
}

/** The non-finite values the parity properties mix into their inputs. */
export const NON_FINITE: readonly number[] = [NaN, Infinity, -Infinity];

/**
 * A copy of `values` with NaN / +-Inf (from `kinds`) at random positions, chosen by `seed`: on
 * two seeds in three, each value is replaced with probability `rate` (so runs with none, one and
 * several non-finite values all occur); on the third the values stay finite.
 */
export function withNonFinite(
  values: Float64Array,
  seed: number,
  opts: { rate?: number; kinds?: readonly number[] } = {},
): Float64Array {
  const out = Float64Array.from(values);
  if (seed % 3 === 0) return out;
  const kinds = opts.kinds ?? NON_FINITE,
    rate = opts.rate ?? 0.1;
  const g = new Generator((seed ^ 0x5bd1e995) >>> 0); // >>> 0: a non-negative 32-bit seed
  for (let i = 0; i < out.length; i++)
    if (g.uniform() < rate) out[i] = kinds[Math.floor(g.uniform() * kinds.length) % kinds.length];
  return out;
}

/** matmul operand shapes: vectors, matrices and broadcast batches. */
export const arbMatmulShapes = (): fc.Arbitrary<readonly [number[], number[]]> =>
  fc
    .record({
      m: arbDim(),
      k: arbDim(),
      n: arbDim(),
      batchA: fc.array(arbDim(1, 3), { maxLength: 2 }),
      ones: fc.boolean(),
      vecA: fc.boolean(),
      vecB: fc.boolean(),
    })
    .map(({ m, k, n, batchA, ones, vecA, vecB }) => {
      const batchB = ones ? batchA.map(() => 1) : batchA.slice(1);
      const a = vecA ? [k] : [...batchA, m, k];
      const b = vecB ? [k] : [...batchB, k, n];
      return [a, b] as const;
    });

/** A shape plus a random subset of its axes (possibly negative, or all when undefined) and keepdim. */
export const arbReduction = (): fc.Arbitrary<{
  shape: number[];
  axes: number[] | undefined;
  keepdim: boolean;
  seed: number;
}> =>
  arbShape({ minDims: 1, maxDims: 4, max: 3 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axes: fc.option(
        fc
          .subarray(
            shape.map((_, i) => i),
            { minLength: 1 },
          )
          .chain((ax) => fc.tuple(...ax.map((a) => fc.constantFrom(a, a - shape.length)))),
        { nil: undefined },
      ),
      keepdim: fc.boolean(),
      seed: arbSeed(),
    }),
  );

/** A conv2d problem: x is [N, groups * cg, H, W], the weight [groups * ocg, cg, KH, KW]. */
export interface Conv2dCase {
  N: number;
  groups: number;
  /** input channels per group */
  cg: number;
  /** output channels per group */
  ocg: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  bias: boolean;
  seed: number;
}

/** Random conv2d configurations (strides, padding, dilation, groups) whose kernel fits the padded input. */
export const arbConv2d = (): fc.Arbitrary<Conv2dCase> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 2 }),
      ocg: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 6 }),
      W: fc.integer({ min: 1, max: 6 }),
      KH: fc.integer({ min: 1, max: 3 }),
      KW: fc.integer({ min: 1, max: 3 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 })),
      padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      bias: fc.boolean(),
      seed: arbSeed(),
    })
    .filter(
      (c) =>
        c.dilation[0] * (c.KH - 1) + 1 <= c.H + 2 * c.padding[0] &&
        c.dilation[1] * (c.KW - 1) + 1 <= c.W + 2 * c.padding[1],
    );

/** A pooling problem on x [N, C, H, W]. */
export interface Pool2dCase {
  N: number;
  C: number;
  H: number;
  W: number;
  /** kernel size */
  k: [number, number];
  /** undefined: the kernel size */
  stride: [number, number] | undefined;
  padding: [number, number];
  countIncludePad: boolean;
  seed: number;
}

/** Random pooling configurations: padding at most half the kernel, the kernel fits the padded input. */
export const arbPool2d = (): fc.Arbitrary<Pool2dCase> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 7 }),
      W: fc.integer({ min: 1, max: 7 }),
      k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      stride: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })), { nil: undefined }),
      padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
      countIncludePad: fc.boolean(),
      seed: arbSeed(),
    })
    .filter(
      (c) =>
        2 * c.padding[0] <= c.k[0] &&
        2 * c.padding[1] <= c.k[1] &&
        c.k[0] <= c.H + 2 * c.padding[0] &&
        c.k[1] <= c.W + 2 * c.padding[1],
    );

/** A batchNorm2d problem on x [N, C, H, W] with more than one value per channel. */
export const arbBatchNorm2d = (): fc.Arbitrary<{ N: number; C: number; H: number; W: number; seed: number }> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 3 }),
      W: fc.integer({ min: 1, max: 3 }),
      seed: arbSeed(),
    })
    .filter((c) => c.N * c.H * c.W > 1);

/**
 * How far a dynoSample of x [N, C, H, W] at continuous size (h, w) is from its kinks: the
 * smallest gap between the best and the second-best of a cell's 4 points (a tie switches the
 * winner), and the smallest distance of a query coordinate to an interior pixel centre (where
 * bilinear interpolation has a kink). See src/ops/dynopool/dynopool.ts.
 */
export function dynoSampleMargins(
  x: ArrayLike<number>,
  shape: readonly number[],
  h: number,
  w: number,
): { minTieGap: number; minKinkDistance: number } {
  const [N, C, H, W] = shape;
  const n = Math.floor(h + 0.5),
    m = Math.floor(w + 0.5);
  const coord = (i: number, s: number, inLen: number, size: number) => (inLen / size) * (i + 0.5 + s * 0.25) - 0.5;
  const kink = (u: number, len: number) =>
    len === 1 ? Infinity : Math.abs(u - Math.min(Math.max(Math.round(u), 0), len - 1));
  const sample = (plane: number, u: number, v: number) => {
    const uc = Math.min(Math.max(u, 0), H - 1),
      vc = Math.min(Math.max(v, 0), W - 1);
    const u0 = Math.floor(uc),
      v0 = Math.floor(vc),
      u1 = Math.min(u0 + 1, H - 1),
      v1 = Math.min(v0 + 1, W - 1);
    const a = uc - u0,
      b = vc - v0;
    const px = (r: number, c: number) => x[plane * H * W + r * W + c];
    return (1 - a) * (1 - b) * px(u0, v0) + (1 - a) * b * px(u0, v1) + a * (1 - b) * px(u1, v0) + a * b * px(u1, v1);
  };
  let minTieGap = Infinity,
    minKinkDistance = Infinity;
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const values: number[] = [];
        for (const su of [-1, 1])
          for (const sv of [-1, 1]) {
            const u = coord(i, su, H, h),
              v = coord(j, sv, W, w);
            minKinkDistance = Math.min(minKinkDistance, kink(u, H), kink(v, W));
            values.push(sample(p, u, v));
          }
        values.sort((a, b) => b - a);
        minTieGap = Math.min(minTieGap, values[0] - values[1]);
      }
  return { minTieGap, minKinkDistance };
}

/**
 * A dynoSample problem away from its kinks (margins > `margin`, default 1e-3; h and w as far from
 * the half-integers, where the row count round(h) jumps): x [N, C, H, W]
 * with `valuesFor(shape, seed)` and continuous sizes h, w from 0.15x to 2x the input's.
 */
export const arbDynoSample = (
  margin = 1e-3,
): fc.Arbitrary<{ N: number; C: number; H: number; W: number; h: number; w: number; seed: number }> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 7 }),
      W: fc.integer({ min: 1, max: 7 }),
      fh: fc.double({ min: 0.15, max: 2, noNaN: true }),
      fw: fc.double({ min: 0.15, max: 2, noNaN: true }),
      seed: arbSeed(),
    })
    .map(({ fh, fw, ...c }) => ({ ...c, h: Math.max(0.6, c.H * fh), w: Math.max(0.6, c.W * fw) }))
    .filter((c) => {
      const shape = [c.N, c.C, c.H, c.W];
      const r = dynoSampleMargins(valuesFor(shape, c.seed), shape, c.h, c.w);
      // n = round(h) rows: h away from the half-integers, so float32 rounding of h keeps n
      const halves = Math.min(Math.abs((c.h % 1) - 0.5), Math.abs((c.w % 1) - 0.5));
      return r.minTieGap > margin && r.minKinkDistance > margin && halves > margin;
    });
