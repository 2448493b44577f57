/**
 * gpu.js kernels against the float64 CPU reference, forward and every backward kernel, on
 * every gpu.js mode this machine offers. Gradients themselves are proven on the reference by
 * finite differences (test/nn); here kernels are proven equal to the reference.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ConvGeometry, DynoGeometry } from '../../../src/ops/kernels.js';
import { referenceBackend } from '../../../src/backends/reference.js';
import { arbSgdCase, legacy, sgdMagnitudes, sgdOperands } from '../../support/kernels.js';

const ref = legacy(referenceBackend);
import { RUNS } from '../../support/config.js';
import { arbSeed, valuesFor, withNonFinite } from '../../../src/testing/index.js';
import {
  absOf as abs,
  describeEachGpuMode,
  expectConvParity,
  expectParity,
  f64,
  finiteAbs,
  onDevice,
  vals,
} from '../../support/gpu.js';
import { convCase, kernelFits } from '../../support/conv.js';
import { naiveDynoSample } from '../../support/naive.js';

const arbConv = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 3 }),
      ocg: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      KH: fc.integer({ min: 1, max: 3 }),
      KW: fc.integer({ min: 1, max: 3 }),
      SH: fc.integer({ min: 1, max: 3 }),
      SW: fc.integer({ min: 1, max: 2 }),
      PH: fc.integer({ min: 0, max: 2 }),
      PW: fc.integer({ min: 0, max: 1 }),
      DH: fc.integer({ min: 1, max: 2 }),
      DW: fc.integer({ min: 1, max: 2 }),
      seed: arbSeed(),
    })
    .filter(kernelFits)
    .map(convCase);

/** The 3x3 / stride 1 / one group convolutions that take the padded, unrolled fast path. */
const arbConv3x3 = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      C: fc.integer({ min: 1, max: 5 }),
      OC: fc.integer({ min: 1, max: 5 }),
      H: fc.integer({ min: 1, max: 9 }),
      W: fc.integer({ min: 1, max: 9 }),
      PH: fc.integer({ min: 0, max: 2 }),
      PW: fc.integer({ min: 0, max: 2 }),
      seed: arbSeed(),
    })
    .filter((c) => c.H + 2 * c.PH >= 3 && c.W + 2 * c.PW >= 3)
    .map((c): ConvGeometry & { seed: number } => ({
      N: c.N,
      C: c.C,
      H: c.H,
      W: c.W,
      OC: c.OC,
      KH: 3,
      KW: 3,
      OH: c.H + 2 * c.PH - 2,
      OW: c.W + 2 * c.PW - 2,
      strideH: 1,
      strideW: 1,
      padH: c.PH,
      padW: c.PW,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
      seed: c.seed,
    }));

const arbBN = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 4 }),
      C: fc.integer({ min: 1, max: 5 }),
      HW: fc.integer({ min: 1, max: 30 }),
      training: fc.boolean(),
      seed: arbSeed(),
    })
    .filter((c) => c.N * c.HW > 1);

/** Sampling problems away from ties and kinks (float32 rounding must not flip a winner). */
const arbDyno = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 12 }),
      W: fc.integer({ min: 1, max: 12 }),
      fh: fc.double({ min: 0.2, max: 2.2, noNaN: true }),
      fw: fc.double({ min: 0.2, max: 2.2, noNaN: true }),
      seed: arbSeed(),
    })
    .map((c) => ({ ...c, h: Math.max(0.6, c.H * c.fh), w: Math.max(0.6, c.W * c.fw) }))
    .filter((c) => {
      const r = naiveDynoSample(valuesFor([c.N, c.C, c.H, c.W], c.seed), [c.N, c.C, c.H, c.W], c.h, c.w);
      return r.minTieGap > 1e-3 && r.minKinkDistance > 1e-4;
    })
    .map((c): DynoGeometry & { seed: number } => ({
      N: c.N,
      C: c.C,
      H: c.H,
      W: c.W,
      OH: Math.floor(c.h + 0.5),
      OW: Math.floor(c.w + 0.5),
      h: c.h,
      w: c.w,
      seed: c.seed,
    }));

describeEachGpuMode('heavy kernels', (gpu) => {
  const f32 = (v: ArrayLike<number>) => onDevice(gpu, v);

  const checkConv = (g: ConvGeometry & { seed: number }): true => expectConvParity(gpu, f32, g);

  it('conv2d forward, input gradient and weight gradient', () => {
    fc.assert(fc.property(arbConv(), checkConv), { numRuns: RUNS.expensive });
  });

  it('conv2d forward, input gradient and weight gradient (3x3 fast path)', () => {
    fc.assert(fc.property(arbConv3x3(), checkConv), { numRuns: RUNS.expensive });
  });

  it('batchnorm statistics, apply and backward (training and eval)', () => {
    fc.assert(
      fc.property(arbBN(), ({ N, C, HW, training, seed }) => {
        const x = valuesFor([N, C, HW], seed, { lo: -3, hi: 3 }),
          dy = valuesFor([N, C, HW], seed + 1);
        const w = valuesFor([C], seed + 2),
          b = valuesFor([C], seed + 3);
        const meanAbs = x.reduce((s, v) => s + Math.abs(v), 0) / x.length;
        const s32 = gpu.batchNormStats(f32(x), N, C, HW),
          s64 = ref.batchNormStats(f64(x), N, C, HW);
        expectParity('batchNormStats mean', vals(s32.mean), vals(s64.mean), meanAbs);
        expectParity('batchNormStats var', vals(s32.variance), vals(s64.variance), 9 * 4);
        // the same statistics for both, so apply / backward are compared on equal inputs
        const mean = vals(s64.mean),
          invStd = Float64Array.from(vals(s64.variance), (v) => 1 / Math.sqrt(v + 1e-5));
        const y32 = gpu.batchNormApply(f32(x), f32(mean), f32(invStd), f32(w), f32(b), N, C, HW);
        const y64 = ref.batchNormApply(f64(x), f64(mean), f64(invStd), f64(w), f64(b), N, C, HW);
        const maxK = Math.max(...invStd) * Math.max(...abs(w));
        expectParity('batchNormApply', vals(y32), vals(y64), 6 * maxK + 2);
        const g32 = gpu.batchNormBackward(f32(x), f32(dy), f32(mean), f32(invStd), f32(w), N, C, HW, training);
        const g64 = ref.batchNormBackward(f64(x), f64(dy), f64(mean), f64(invStd), f64(w), N, C, HW, training);
        const M = N * HW,
          sumAbsDy = dy.reduce((s, v) => s + Math.abs(v), 0);
        expectParity('batchNorm dbias', vals(g32.dbias), vals(g64.dbias), sumAbsDy);
        expectParity('batchNorm dweight', vals(g32.dweight), vals(g64.dweight), sumAbsDy * 6 * Math.max(...invStd));
        return expectParity(
          'batchNorm dx',
          vals(g32.dx),
          vals(g64.dx),
          maxK * (3 + (2 * sumAbsDy) / M) * 6 * Math.max(...invStd),
        );
      }),
      { numRuns: RUNS.expensive },
    );
  });

  it('dynoSample forward, x gradient (gather) and size gradient', () => {
    fc.assert(
      fc.property(arbDyno(), (g) => {
        // NaN / +-Inf mixed into x: a NaN sample wins its cell (the first one), +-Inf tie exactly
        const x = withNonFinite(valuesFor([g.N, g.C, g.H, g.W], g.seed), g.seed, { rate: 0.05 }),
          dy = valuesFor([g.N, g.C, g.OH, g.OW], g.seed + 1);
        const maxX = Math.max(...finiteAbs(x)),
          sumAbsDy = dy.reduce((s, v) => s + Math.abs(v), 0);
        expectParity('dynoSample', vals(gpu.dynoSample(f32(x), g)), vals(ref.dynoSample(f64(x), g)), maxX);
        const g32 = gpu.dynoSampleBackward(f32(x), f32(dy), g),
          g64 = ref.dynoSampleBackward(f64(x), f64(dy), g);
        expectParity(
          'dynoSampleBackward dx',
          vals(g32.dx),
          vals(g64.dx),
          vals(ref.dynoSampleBackward(f64(x), f64(abs(dy)), g).dx),
        );
        const scale = Math.max(g.H / g.h ** 2, g.W / g.w ** 2) * (Math.max(g.OH, g.OW) + 1);
        return expectParity(
          'dynoSampleBackward dh, dw',
          [g32.dh, g32.dw],
          [g64.dh, g64.dw],
          2 * maxX * sumAbsDy * scale,
        );
      }),
      { numRuns: RUNS.expensive },
    );
  });

  it('alpha = (2, 2) sampling is exactly 2x2 max pooling on this mode too', () => {
    const x = valuesFor([2, 3, 8, 6], 4);
    const g: DynoGeometry = { N: 2, C: 3, H: 8, W: 6, OH: 4, OW: 3, h: 4, w: 3 };
    const pool = ref.maxPool2d(f32(x), {
      N: 2,
      C: 3,
      H: 8,
      W: 6,
      OH: 4,
      OW: 3,
      KH: 2,
      KW: 2,
      strideH: 2,
      strideW: 2,
      padH: 0,
      padW: 0,
      countIncludePad: true,
    });
    expect(Array.from(vals(gpu.dynoSample(f32(x), g)))).toEqual(Array.from(vals(pool)));
  });

  it('the fused SGD update (every combination of terms, NaN and +-Inf mixed in)', () => {
    fc.assert(
      fc.property(arbSgdCase(), (c) => {
        const { p, grad, buf } = sgdOperands(c);
        const got = gpu.sgdUpdate(f32(p), f32(grad), buf && f32(buf), c.attrs);
        const want = ref.sgdUpdate(f64(p), f64(grad), buf && f64(buf), c.attrs);
        const mag = sgdMagnitudes(c, { p, grad, buf });
        expect(got, 'outputs').toHaveLength(want.length);
        got.forEach((s, i) => expectParity(`sgdUpdate ${i ? "buf'" : "p'"}`, vals(s), vals(want[i]), mag[i]));
        return true;
      }),
      { numRuns: RUNS.cheap },
    );
  });

  it('compiles each kernel once per configuration and reuses it', () => {
    const g: DynoGeometry = { N: 1, C: 2, H: 7, W: 5, OH: 4, OW: 3, h: 4.2, w: 2.8 };
    const x = f32(valuesFor([1, 2, 7, 5], 1));
    gpu.dynoSample(x, g);
    const before = gpu.kernels.size;
    for (let i = 0; i < 5; i++) gpu.dynoSample(x, { ...g, h: 4 + i * 0.05 });
    expect(gpu.kernels.size).toBe(before);
  });
});
