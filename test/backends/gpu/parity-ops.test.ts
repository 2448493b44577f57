/**
 * The gpu.js kernels a training step needs besides the heavy ones (elementwise, reductions,
 * data movement, matmul, pooling) against the float64 reference, on every gpu.js mode, with
 * their inputs on the device (textures on GL modes). Inputs have NaN and +-Inf mixed in
 * (`withNonFinite`) wherever IEEE arithmetic defines the result; those must match exactly.
 */
import fc from 'fast-check';
import { it } from 'vitest';
import { BINARY_KERNELS } from '../../../src/ops/kernels.js';
import type { BinaryKernel, PoolGeometry, ReduceKernel, UnaryKernel } from '../../../src/ops/kernels.js';
import { referenceBackend } from '../../../src/backends/reference.js';
import { legacy } from '../../support/kernels.js';

const ref = legacy(referenceBackend);
import { broadcastShapes } from '../../../src/tensor/shape.js';
import { RUNS } from '../../support/config.js';
import {
  arbBroadcastPair,
  arbSeed,
  arbShape,
  distinctValues,
  valuesFor,
  withNonFinite,
} from '../../../src/testing/index.js';
import { absOf as abs, describeEachGpuMode, expectParity, f64, finiteAbs, onDevice, vals } from '../../support/gpu.js';

const UNARY: readonly UnaryKernel[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'sigmoid',
  'tanh',
  'floor',
  'round',
  'sign',
  'step',
];
const BINARY: readonly BinaryKernel[] = BINARY_KERNELS;
const COMPARE = new Set<BinaryKernel>(['maximum', 'minimum', 'eq', 'gt', 'ge', 'lt', 'le', 'reluGrad']);

/**
 * Inputs for each unary op: inside its domain, away from its kinks (0, integers, halves), with
 * NaN / +-Inf mixed in (log and sqrt: NaN and +Inf only, GLSL leaves them undefined below 0).
 */
function unaryInputs(op: UnaryKernel, n: number, seed: number): Float64Array {
  if (op === 'log' || op === 'sqrt')
    return withNonFinite(valuesFor([n], seed, { lo: 0.05, hi: 4 }), seed, { kinds: [NaN, Infinity] });
  if (op === 'floor')
    return withNonFinite(
      valuesFor([n], seed, { lo: -3, hi: 3, awayFrom: [-3, -2, -1, 0, 1, 2, 3], margin: 0.01 }),
      seed,
    );
  if (op === 'round')
    return withNonFinite(
      valuesFor([n], seed, { lo: -3, hi: 3, awayFrom: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], margin: 0.01 }),
      seed,
    );
  return withNonFinite(valuesFor([n], seed, { lo: -6, hi: 6, awayFrom: [0], margin: 0.01 }), seed);
}

/**
 * Binary inputs: comparisons on a half-integer lattice (so ties happen), div away from 0, pow in
 * its domain; NaN / +-Inf mixed in everywhere but pow (GLSL's pow is undefined there).
 */
function binaryInputs(
  op: BinaryKernel,
  aShape: number[],
  bShape: number[],
  seed: number,
): [Float64Array, Float64Array] {
  const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
  if (COMPARE.has(op)) {
    const lattice = (v: Float64Array) => v.map((x) => Math.round(x * 2) / 2);
    return [
      withNonFinite(lattice(valuesFor(aShape, seed)), seed),
      withNonFinite(lattice(valuesFor(bShape, seed + 1)), seed + 1),
    ];
  }
  if (op === 'div')
    return [
      withNonFinite(valuesFor(aShape, seed), seed),
      withNonFinite(valuesFor(bShape, seed + 1, { awayFrom: [0], margin: 0.3 }), seed + 1),
    ];
  if (op === 'pow') {
    // a positive base with any exponent, or a negative base with an integer exponent
    if (seed % 2 === 0)
      return [valuesFor(aShape, seed, { lo: 0.3, hi: 2 }), valuesFor(bShape, seed + 1, { lo: -2, hi: 2 })];
    return [
      valuesFor(aShape, seed, { lo: -2, hi: 2, awayFrom: [0], margin: 0.3 }),
      Float64Array.from({ length: n(bShape) }, (_, i) => ((seed + i) % 7) - 3),
    ];
  }
  return [withNonFinite(valuesFor(aShape, seed), seed), withNonFinite(valuesFor(bShape, seed + 1), seed + 1)];
}

const arbPool = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      KH: fc.integer({ min: 1, max: 3 }),
      KW: fc.integer({ min: 1, max: 3 }),
      SH: fc.integer({ min: 1, max: 3 }),
      SW: fc.integer({ min: 1, max: 3 }),
      padH: fc.nat(1),
      padW: fc.nat(1),
      countIncludePad: fc.boolean(),
      seed: arbSeed(),
    })
    .map((c) => ({ ...c, PH: Math.min(c.padH, Math.floor(c.KH / 2)), PW: Math.min(c.padW, Math.floor(c.KW / 2)) }))
    .filter((c) => c.H + 2 * c.PH >= c.KH && c.W + 2 * c.PW >= c.KW)
    .map((c): PoolGeometry & { seed: number } => ({
      N: c.N,
      C: c.C,
      H: c.H,
      W: c.W,
      KH: c.KH,
      KW: c.KW,
      strideH: c.SH,
      strideW: c.SW,
      padH: c.PH,
      padW: c.PW,
      OH: Math.floor((c.H + 2 * c.PH - c.KH) / c.SH) + 1,
      OW: Math.floor((c.W + 2 * c.PW - c.KW) / c.SW) + 1,
      countIncludePad: c.countIncludePad,
      seed: c.seed,
    }));

describeEachGpuMode('light kernels', (gpu) => {
  const dev = (v: ArrayLike<number>) => onDevice(gpu, v);

  it('unary: every op', () => {
    fc.assert(
      fc.property(fc.constantFrom(...UNARY), fc.integer({ min: 1, max: 40 }), arbSeed(), (op, n, seed) => {
        const x = unaryInputs(op, n, seed);
        const want = vals(ref.unary(op, f64(x)));
        // float32 rounding of the input moves f(x) by about |f'(x) x| eps: bounded by |f| + |x| + 1 here
        return expectParity(
          `unary ${op}`,
          vals(gpu.unary(op, dev(x))),
          want,
          Float64Array.from(want, (w, i) => Math.abs(w) + finiteAbs(x)[i] + 1),
        );
      }),
      { numRuns: RUNS.cheap },
    );
  });

  it('binary: every op, with NumPy broadcasting', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY), arbBroadcastPair(), arbSeed(), (op, [aShape, bShape], seed) => {
        const outShape = broadcastShapes('binary', aShape, bShape);
        const [a, b] = binaryInputs(op, aShape, bShape, seed);
        const want = vals(ref.binary(op, f64(a), aShape, f64(b), bShape, outShape));
        const got = vals(gpu.binary(op, dev(a), aShape, dev(b), bShape, outShape));
        const mag =
          op === 'pow'
            ? Float64Array.from(want, (w) => 8 * Math.abs(w))
            : op === 'div'
              ? Float64Array.from(want, (w) => 2 * Math.abs(w))
              : 4 * Math.max(1, ...finiteAbs(want));
        return expectParity(`binary ${op} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`, got, want, mag);
      }),
      { numRuns: RUNS.cheap },
    );
  });

  it('leakyRelu, any slope', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        arbSeed(),
        (n, slope, seed) => {
          const x = withNonFinite(valuesFor([n], seed, { lo: -6, hi: 6 }), seed);
          // the kernel takes the slope in float32 (subnormals flushed, as GPUs do): both get that
          // value, so slope * Inf is the same infinity, or NaN for a slope that is 0 in float32
          const s32 = Math.abs(Math.fround(slope)) < 2 ** -126 ? 0 : Math.fround(slope);
          return expectParity(
            `leakyRelu ${slope}`,
            vals(gpu.leakyRelu(dev(x), s32)),
            vals(ref.leakyRelu(f64(x), s32)),
            finiteAbs(x),
          );
        },
      ),
      { numRuns: RUNS.cheap },
    );
  });

  it('clamp (finite and infinite bounds) and where', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom([-1, 0.5], [-Infinity, 0.25], [0, Infinity]),
        arbSeed(),
        (n, [lo, hi], seed) => {
          const x = withNonFinite(valuesFor([n], seed), seed),
            y = withNonFinite(valuesFor([n], seed + 1), seed + 1),
            c = Float64Array.from(valuesFor([n], seed + 2), (v) => (v > 0 ? 1 : 0));
          expectParity('clamp', vals(gpu.clamp(dev(x), lo, hi)), vals(ref.clamp(f64(x), lo, hi)), 2);
          return expectParity(
            'where',
            vals(gpu.where(dev(c), dev(x), dev(y))),
            vals(ref.where(f64(c), f64(x), f64(y))),
            2,
          );
        },
      ),
      { numRuns: RUNS.cheap },
    );
  });

  it('reduce: sum, max, min over any set of axes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ReduceKernel>('sum', 'max', 'min'),
        arbShape({ minDims: 1, maxDims: 4, max: 5 }),
        arbSeed(),
        (op, shape, seed) => {
          const axes = shape.map((_, i) => i).filter((i) => ((seed >> i) & 1) === 1 || shape.length === 1);
          const x = withNonFinite(valuesFor(shape, seed), seed);
          const want = vals(ref.reduce(op, f64(x), shape, axes));
          const mag = op === 'sum' ? vals(ref.reduce('sum', f64(finiteAbs(x)), shape, axes)) : finiteAbs(want);
          return expectParity(
            `reduce ${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`,
            vals(gpu.reduce(op, dev(x), shape, axes)),
            want,
            mag,
          );
        },
      ),
      { numRuns: RUNS.cheap },
    );
  });

  it('permute, expand, slice, pad and concat move values exactly', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 1, maxDims: 4, max: 4 }), arbSeed(), (shape, seed) => {
        const x = Float64Array.from(withNonFinite(valuesFor(shape, seed), seed), Math.fround);
        const g = (s: number) => (s * 2654435761) >>> 0;
        const perm = shape.map((_, i) => i).sort((a, b) => g(seed + a) - g(seed + b));
        expectParity('permute', vals(gpu.permute(dev(x), shape, perm)), vals(ref.permute(f64(x), shape, perm)), 0);
        const ones = shape.map((d, i) => ((seed >> i) & 1 ? 1 : d));
        const y = x.subarray(
          0,
          ones.reduce((p, d) => p * d, 1),
        );
        expectParity(
          'expand',
          vals(gpu.expand(dev(y), ones, [2, ...shape])),
          vals(ref.expand(f64(y), ones, [2, ...shape])),
          0,
        );
        const begin = shape.map((d, i) => Math.min(d - 1, (seed >> (2 * i)) & 1));
        const size = shape.map((d, i) => Math.max(1, d - begin[i] - ((seed >> (2 * i + 1)) & 1)));
        expectParity(
          'slice',
          vals(gpu.slice(dev(x), shape, begin, size)),
          vals(ref.slice(f64(x), shape, begin, size)),
          0,
        );
        const pads = shape.map((_, i) => [(seed >> i) & 3, (seed >> (i + 2)) & 1] as [number, number]);
        const fill = seed % 3 === 0 ? -Infinity : 0.5;
        expectParity('pad', vals(gpu.pad(dev(x), shape, pads, fill)), vals(ref.pad(f64(x), shape, pads, fill)), 0);
        const axis = seed % shape.length;
        const other = shape.map((d, i) => (i === axis ? 1 + (seed % 3) : d));
        const z = Float64Array.from(valuesFor(other, seed + 1), Math.fround);
        const shapes = [shape, other, shape];
        return expectParity(
          'concat',
          vals(gpu.concat([dev(x), dev(z), dev(x)], shapes, axis)),
          vals(ref.concat([f64(x), f64(z), f64(x)], shapes, axis)),
          0,
        );
      }),
      { numRuns: RUNS.cheap },
    );
  });

  it('matmul, with either operand transposed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        arbSeed(),
        (B, M, K, N, ta, tb, seed) => {
          const a = withNonFinite(valuesFor([B, M, K], seed), seed, { rate: 0.03 }),
            b = withNonFinite(valuesFor([B, K, N], seed + 1), seed + 1, { rate: 0.03 });
          const want = vals(ref.matmul(f64(a), f64(b), B, M, K, N, ta, tb));
          return expectParity(
            `matmul ${B}x${M}x${K}x${N} ta=${ta} tb=${tb}`,
            vals(gpu.matmul(dev(a), dev(b), B, M, K, N, ta, tb)),
            want,
            vals(ref.matmul(f64(finiteAbs(a)), f64(finiteAbs(b)), B, M, K, N, ta, tb)),
          );
        },
      ),
      { numRuns: RUNS.medium },
    );
  });

  it('max and average pooling, forward and gradient', () => {
    fc.assert(
      fc.property(arbPool(), (g) => {
        // distinct values: a tie would let float32 rounding move the gradient to another pixel (NaN
        // and +-Inf tie exactly on both sides: the first one wins, as a NaN wins over any number)
        const x = withNonFinite(distinctValues(g.N * g.C * g.H * g.W, g.seed), g.seed),
          dy = valuesFor([g.N, g.C, g.OH, g.OW], g.seed + 1);
        expectParity(
          'maxPool2d',
          vals(gpu.maxPool2d(dev(x), g)),
          vals(ref.maxPool2d(f64(x), g)),
          finiteAbs(vals(ref.maxPool2d(f64(x), g))),
        );
        expectParity(
          'maxPool2dGrad',
          vals(gpu.maxPool2dGrad(dev(x), dev(dy), g)),
          vals(ref.maxPool2dGrad(f64(x), f64(dy), g)),
          vals(ref.maxPool2dGrad(f64(x), f64(abs(dy)), g)),
        );
        expectParity(
          'avgPool2d',
          vals(gpu.avgPool2d(dev(x), g)),
          vals(ref.avgPool2d(f64(x), g)),
          vals(ref.avgPool2d(f64(finiteAbs(x)), g)),
        );
        return expectParity(
          'avgPool2dGrad',
          vals(gpu.avgPool2dGrad(dev(dy), g)),
          vals(ref.avgPool2dGrad(f64(dy), g)),
          vals(ref.avgPool2dGrad(f64(abs(dy)), g)),
        );
      }),
      { numRuns: RUNS.medium },
    );
  });
});
