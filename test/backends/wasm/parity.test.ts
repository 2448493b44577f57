/**
 * The wasm backend's native kernels (conv2d forward, input gradient, weight gradient, batched
 * matmul; elementwise, batchnorm, max pooling and DynOPool sampling, which must equal the float32
 * reference exactly)
 * against the CPU reference, on one thread and on two (the worker takes a share
 * of every call here, however small). Geometries are random and odd: sizes that are not
 * multiples of the GEMM's tiles (MR x NR = 4 x 8) and that cross its cache blocks (KC = 256,
 * MC = 128, NC = 512), strides, padding, dilation, groups (depthwise included), 1x1 kernels;
 * NaN and +-Inf are mixed into every operand. Replay a failure with FC_SEED (test/support/config.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/backend/backend.js';
import { HostStorage } from '../../../src/backend/host-storage.js';
import { referenceBackend } from '../../../src/backends/reference.js';
import { WasmBackend } from '../../../src/backends/wasm/backend.js';
import { BINARY_KERNELS } from '../../../src/ops/kernels.js';
import type { BinaryKernel, DynoGeometry, PoolGeometry, UnaryKernel } from '../../../src/ops/kernels.js';
import { broadcastShapes } from '../../../src/tensor/shape.js';
import { arbSeed, valuesFor, withNonFinite } from '../../../src/testing/index.js';
import { FC_SEED, RUNS } from '../../support/config.js';
import { convCase, kernelFits, type ConvCase } from '../../support/conv.js';
import { expectConvParity, expectParity, f64, finiteAbs, vals } from '../../support/gpu.js';
import { arbSgdCase, legacy, sgdOperands } from '../../support/kernels.js';

const ref = legacy(referenceBackend);
const f32 = (v: ArrayLike<number>): Storage => new HostStorage(Float32Array.from(v));
const nf = (v: Float64Array, seed: number) => withNonFinite(v, seed, { rate: 0.04 });

/** Every binary op, pow (which the wasm backend leaves to the reference) included. */
const BINARY_OPS: readonly BinaryKernel[] = BINARY_KERNELS;
/** Every unary op (exp, log, sigmoid, tanh and round run on the reference). */
const UNARY_OPS: readonly UnaryKernel[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'relu', 'sigmoid', 'tanh', 'floor', 'round', 'sign', 'step'];

/**
 * Values for the elementwise kernels: in [-2, 2], half of them rounded to halves (ties for the
 * comparisons and maximum / minimum, zeros of both signs), with NaN and +-Inf mixed in.
 */
const broadcastValues = (shape: readonly number[], seed: number): Float64Array =>
  nf(
    valuesFor(shape, seed).map((v, i) => ((i * 7 + seed) % 2 === 0 ? Math.round(v * 2) / 2 : v)),
    seed,
  );

const arbDim = (max: number) => fc.integer({ min: 1, max });

interface BroadcastCase {
  aShape: number[];
  bShape: number[];
  out: number[];
  seed: number;
  values: (shape: readonly number[], seed: number) => Float64Array;
}

/**
 * Two shapes that broadcast to an output of rank 0 to 7 (sizes 1 to 6): each operand keeps or
 * drops (to 1) every dimension and may lose leading ones, so some broadcasts collapse to more
 * dimensions than the wasm kernel takes (they run on the reference) and most to fewer.
 */
const arbBroadcast = (): fc.Arbitrary<BroadcastCase> =>
  fc
    .array(fc.record({ size: fc.integer({ min: 1, max: 6 }), a: fc.boolean(), b: fc.boolean() }), {
      minLength: 0,
      maxLength: 7,
    })
    .chain((dims) =>
      fc.record({
        dropA: fc.integer({ min: 0, max: dims.length }),
        dropB: fc.integer({ min: 0, max: dims.length }),
        seed: arbSeed(),
      }).map(({ dropA, dropB, seed }) => {
        const aShape = dims.map((d) => (d.a ? d.size : 1)).slice(dropA);
        const bShape = dims.map((d) => (d.b ? d.size : 1)).slice(dropB);
        return { aShape, bShape, out: broadcastShapes('test', aShape, bShape), seed, values: broadcastValues };
      }),
    );

/** Pooling inputs: a third of them rounded to integers, so that windows have tied maxima. */
const poolValues = (shape: readonly number[], seed: number): Float64Array =>
  valuesFor(shape, seed).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));

/** Pooling geometries: windows 1 to 4, strides 1 to 3, padding up to half the window. */
const arbPool = (): fc.Arbitrary<PoolGeometry & { seed: number }> =>
  fc
    .record({
      N: arbDim(2),
      C: arbDim(4),
      H: arbDim(11),
      W: arbDim(12),
      KH: arbDim(4),
      KW: arbDim(3),
      strideH: arbDim(3),
      strideW: arbDim(2),
      padH: fc.integer({ min: 0, max: 2 }),
      padW: fc.integer({ min: 0, max: 1 }),
      seed: arbSeed(),
    })
    .filter((c) => 2 * c.padH <= c.KH && 2 * c.padW <= c.KW && c.KH <= c.H + 2 * c.padH && c.KW <= c.W + 2 * c.padW)
    .map((c) => ({
      ...c,
      OH: Math.floor((c.H + 2 * c.padH - c.KH) / c.strideH) + 1,
      OW: Math.floor((c.W + 2 * c.padW - c.KW) / c.strideW) + 1,
      countIncludePad: false,
    }));

/**
 * DynOPool sampling geometries: planes 1 to 12, input 1 to 13 x 1 to 14, and continuous
 * output sizes from a fifth of the input (downsampling) to twice it (upsampling), rounding to
 * at least 1 cell; a quarter of the sizes are exact fractions of the input (half, same size,
 * double), whose query points land on pixels (weights 0 and 1) or on the clamped border.
 */
const arbDyno = (): fc.Arbitrary<DynoGeometry & { seed: number }> => {
  const factor = fc.oneof(
    { weight: 3, arbitrary: fc.double({ min: 0.2, max: 2, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0.5, 1, 2) },
  );
  return fc
    .record({ N: arbDim(3), C: arbDim(4), H: arbDim(13), W: arbDim(14), fh: factor, fw: factor, seed: arbSeed() })
    .map(({ fh, fw, ...c }) => {
      const h = Math.max(0.6, c.H * fh),
        w = Math.max(0.6, c.W * fw);
      return { ...c, h, w, OH: Math.floor(h + 0.5), OW: Math.floor(w + 0.5) };
    });
};

/** Small odd geometries: every stride / padding / dilation / groups combination. */
const arbConv = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 5 }),
      ocg: fc.integer({ min: 1, max: 9 }),
      H: fc.integer({ min: 1, max: 11 }),
      W: fc.integer({ min: 1, max: 13 }),
      KH: fc.integer({ min: 1, max: 3 }),
      KW: fc.integer({ min: 1, max: 4 }),
      SH: fc.integer({ min: 1, max: 3 }),
      SW: fc.integer({ min: 1, max: 2 }),
      PH: fc.integer({ min: 0, max: 2 }),
      PW: fc.integer({ min: 0, max: 2 }),
      DH: fc.integer({ min: 1, max: 2 }),
      DW: fc.integer({ min: 1, max: 2 }),
      seed: arbSeed(),
    })
    .filter(kernelFits)
    .map(convCase);

/** Depthwise convolutions (one input channel per group, 1 or 2 outputs each). */
const arbDepthwise = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 6 }),
      cg: fc.constant(1),
      ocg: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 2, max: 10 }),
      W: fc.integer({ min: 2, max: 10 }),
      KH: fc.constant(3),
      KW: fc.constant(3),
      SH: fc.integer({ min: 1, max: 2 }),
      SW: fc.integer({ min: 1, max: 2 }),
      PH: fc.integer({ min: 0, max: 1 }),
      PW: fc.integer({ min: 0, max: 1 }),
      DH: fc.constant(1),
      DW: fc.constant(1),
      seed: arbSeed(),
    })
    .filter(kernelFits)
    .map(convCase);

/**
 * Geometries that cross the cache blocks: C/groups x KH x KW above KC = 256 and MC = 128 (the
 * forward's K, the input gradient's M), N x OH x OW above KC (the weight gradient's K), and
 * output rows on both sides of a full 8-pixel panel.
 */
const arbConvBlocks = () =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      groups: fc.integer({ min: 1, max: 2 }),
      cg: fc.integer({ min: 15, max: 33 }),
      ocg: fc.integer({ min: 3, max: 13 }),
      H: fc.integer({ min: 6, max: 14 }),
      W: fc.integer({ min: 7, max: 17 }),
      KH: fc.constant(3),
      KW: fc.constant(3),
      SH: fc.constant(1),
      SW: fc.constant(1),
      PH: fc.integer({ min: 0, max: 1 }),
      PW: fc.integer({ min: 0, max: 1 }),
      DH: fc.constant(1),
      DW: fc.constant(1),
      seed: arbSeed(),
    })
    .map(convCase);

const arbMatmul = (maxDim: number) =>
  fc.record({
    B: fc.integer({ min: 1, max: 3 }),
    M: fc.integer({ min: 1, max: maxDim }),
    K: fc.integer({ min: 0, max: maxDim }),
    N: fc.integer({ min: 1, max: maxDim }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    seed: arbSeed(),
  });

for (const threads of [1, 2]) {
  describe(`wasm kernels against the reference (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    // convolutions: one GEMM per image (batchPixels 0) and one over the whole batch (Infinity)
    const backend = new WasmBackend({ threads, minParallelFlops: 0, batchPixels: 0 }, () => {});
    const batched = new WasmBackend({ threads, minParallelFlops: 0, batchPixels: Infinity }, () => {});
    const wasm = legacy(backend);
    const wasmBatched = legacy(batched);

    beforeAll(async () => {
      for (const b of [backend, batched]) {
        await b.runtime.ready();
        // two threads: the worker must be up, or these cases would silently test one thread
        expect(b.runtime.parallel).toBe(threads > 1);
      }
    });

    const checkConv = (g: ConvCase): true =>
      expectConvParity(wasm, f32, g) && expectConvParity(wasmBatched, f32, g);

    const checkMatmul = (c: {
      B: number;
      M: number;
      K: number;
      N: number;
      transA: boolean;
      transB: boolean;
      seed: number;
    }): true => {
      const a = nf(valuesFor([c.B * c.M * c.K], c.seed), c.seed),
        b = nf(valuesFor([c.B * c.K * c.N], c.seed + 1), c.seed + 1);
      const args = [c.B, c.M, c.K, c.N, c.transA, c.transB] as const;
      return expectParity(
        'matmul',
        vals(wasm.matmul(f32(a), f32(b), ...args)),
        vals(ref.matmul(f64(a), f64(b), ...args)),
        vals(ref.matmul(f64(finiteAbs(a)), f64(finiteAbs(b)), ...args)),
      );
    };

    const checkBinary = (c: BroadcastCase): true => {
      const a = f32(c.values(c.aShape, c.seed)),
        b = f32(c.values(c.bShape, c.seed + 1));
      for (const op of BINARY_OPS) {
        const got = wasm.binary(op, a, c.aShape, b, c.bShape, c.out);
        const want = ref.binary(op, a, c.aShape, b, c.bShape, c.out);
        expect(got.hostValues(), op).toBeInstanceOf(Float32Array);
        // float32 in, one operation: the reference's float64 result rounds to the same float32
        expect(vals(got), `${op} ${JSON.stringify(c.aShape)} ${JSON.stringify(c.bShape)}`).toEqual(vals(want));
      }
      // expand runs on the same loops (a copy of a broadcast)
      expect(vals(wasm.expand(a, c.aShape, c.out)), 'expand').toEqual(vals(ref.expand(a, c.aShape, c.out)));
      return true;
    };

    it('binary ops and expand with NumPy broadcasting: exactly the reference (NaN, +-Inf, +-0, ties)', () => {
      fc.assert(fc.property(arbBroadcast(), checkBinary), { seed: FC_SEED, numRuns: RUNS.cheap });
    });

    it('binary ops: same shapes, scalars, and a channel vector over [N, C, H, W] (the batchnorm and bias pattern)', () => {
      fc.assert(
        fc.property(arbSeed(), arbDim(3), arbDim(9), arbDim(7), (seed, N, C, HW) => {
          const x = [N, C, HW, HW];
          const cases: [number[], number[]][] = [
            [x, x],
            [x, [1, C, 1, 1]],
            [[1, C, 1, 1], x],
            [x, [C, 1, 1]],
            [x, []],
            [[], x],
            [x, [HW]],
            [[N, 1, HW, 1], [C, 1, HW]],
          ];
          for (const [aShape, bShape] of cases)
            checkBinary({ aShape, bShape, out: broadcastShapes('test', aShape, bShape), seed, values: broadcastValues });
          return true;
        }),
        { seed: FC_SEED, numRuns: RUNS.cheap },
      );
    });

    it('unary ops and where: exactly the reference', () => {
      fc.assert(
        fc.property(arbSeed(), fc.integer({ min: 1, max: 70 }), (seed, n) => {
          const x = f32(broadcastValues([n], seed));
          for (const op of UNARY_OPS) expect(vals(wasm.unary(op, x)), op).toEqual(vals(ref.unary(op, x)));
          const cond = f32(broadcastValues([n], seed + 1).map((v) => (v > 0.5 ? 0 : v)));
          const a = f32(broadcastValues([n], seed + 2)),
            b = f32(broadcastValues([n], seed + 3));
          expect(vals(wasm.where(cond, a, b))).toEqual(vals(ref.where(cond, a, b)));
          return true;
        }),
        { seed: FC_SEED, numRuns: RUNS.cheap },
      );
    });

    it('the fused SGD update: exactly the float32 reference (every combination of terms, odd lengths, NaN, +-Inf)', () => {
      fc.assert(
        fc.property(arbSgdCase(), (c) => {
          const { p, grad, buf } = sgdOperands(c);
          const got = wasm.sgdUpdate(f32(p), f32(grad), buf && f32(buf), c.attrs),
            want = ref.sgdUpdate(f32(p), f32(grad), buf && f32(buf), c.attrs);
          expect(got, 'outputs').toHaveLength(c.attrs.momentum ? 2 : 1);
          expect(got.map((s) => s.hostValues()).every((v) => v instanceof Float32Array)).toBe(true);
          expect(got.map(vals), JSON.stringify(c.attrs)).toEqual(want.map(vals));
          return true;
        }),
        { seed: FC_SEED, numRuns: RUNS.cheap },
      );
    });

    const checkBatchNorm = (c: { N: number; C: number; HW: number; training: boolean; seed: number }): true => {
      const { N, C, HW, training, seed } = c;
      const x = nf(valuesFor([N, C, HW], seed, { lo: -3, hi: 5 }), seed),
        dy = nf(valuesFor([N, C, HW], seed + 1), seed + 1);
      const mean = nf(valuesFor([C], seed + 2), seed + 2),
        invStd = valuesFor([C], seed + 3, { lo: 0.2, hi: 3 }),
        weight = nf(valuesFor([C], seed + 4), seed + 4),
        bias = valuesFor([C], seed + 5);
      // float32 operands for both sides: the wasm kernels evaluate the reference's float64
      // formulas in its order, so they equal its float32 results; and float64 operands on the
      // reference within FLOAT32_PARITY (the float32 rounding of the inputs)
      const x32 = f32(x),
        dy32 = f32(dy);
      const stats = wasm.batchNormStats(x32, N, C, HW);
      const stats32 = ref.batchNormStats(x32, N, C, HW),
        stats64 = ref.batchNormStats(f64(x), N, C, HW);
      expect(vals(stats.mean), 'mean').toEqual(vals(stats32.mean));
      expect(vals(stats.variance), 'variance').toEqual(vals(stats32.variance));
      expectParity('batchNormStats mean', vals(stats.mean), vals(stats64.mean), vals(ref.batchNormStats(f64(finiteAbs(x)), N, C, HW).mean));
      const ps = [mean, invStd, weight, bias].map(f32);
      const y = wasm.batchNormApply(x32, ps[0], ps[1], ps[2], ps[3], N, C, HW);
      expect(vals(y), 'batchNormApply').toEqual(vals(ref.batchNormApply(x32, ps[0], ps[1], ps[2], ps[3], N, C, HW)));
      const g = wasm.batchNormBackward(x32, dy32, ps[0], ps[1], ps[2], N, C, HW, training);
      const g32 = ref.batchNormBackward(x32, dy32, ps[0], ps[1], ps[2], N, C, HW, training);
      expect(vals(g.dx), 'dx').toEqual(vals(g32.dx));
      expect(vals(g.dweight), 'dweight').toEqual(vals(g32.dweight));
      expect(vals(g.dbias), 'dbias').toEqual(vals(g32.dbias));
      return true;
    };

    it('batchnorm statistics, apply and backward (training and eval): exactly the float32 reference', () => {
      fc.assert(
        fc.property(
          fc.record({ N: arbDim(4), C: arbDim(7), HW: arbDim(40), training: fc.boolean(), seed: arbSeed() }),
          checkBatchNorm,
        ),
        { seed: FC_SEED, numRuns: RUNS.expensive },
      );
    });

    const checkMaxPool = (g: PoolGeometry & { seed: number }): true => {
      const x = nf(poolValues([g.N, g.C, g.H, g.W], g.seed), g.seed),
        dy = nf(valuesFor([g.N, g.C, g.OH, g.OW], g.seed + 1), g.seed + 1);
      const x32 = f32(x),
        dy32 = f32(dy);
      expect(vals(wasm.maxPool2d(x32, g)), 'maxPool2d').toEqual(vals(ref.maxPool2d(x32, g)));
      expectParity('maxPool2d (float64 reference)', vals(wasm.maxPool2d(x32, g)), vals(ref.maxPool2d(f64(x), g)), 1);
      expect(vals(wasm.maxPool2dGrad(x32, dy32, g)), 'maxPool2dGrad').toEqual(vals(ref.maxPool2dGrad(x32, dy32, g)));
      return true;
    };

    it('max pooling forward and gradient: odd windows, strides and padding, ties and NaN (first wins)', () => {
      fc.assert(fc.property(arbPool(), checkMaxPool), { seed: FC_SEED, numRuns: RUNS.expensive });
    });

    it('2x2 stride-2 max pooling (its SIMD path, 4 windows at a time): odd sizes, ties and NaN', () => {
      const arb2x2 = fc
        .record({
          N: arbDim(2),
          C: arbDim(3),
          H: fc.integer({ min: 2, max: 21 }),
          W: fc.integer({ min: 2, max: 37 }),
          seed: arbSeed(),
        })
        .map((c) => ({
          ...c,
          ...{ KH: 2, KW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, countIncludePad: true },
          OH: Math.floor(c.H / 2),
          OW: Math.floor(c.W / 2),
        }));
      fc.assert(fc.property(arb2x2, checkMaxPool), { seed: FC_SEED, numRuns: RUNS.expensive });
    });

    const checkDyno = (g: DynoGeometry & { seed: number }): true => {
      // pooling-style values (a third integers: tied samples) with NaN and +-Inf mixed in
      const x = nf(poolValues([g.N, g.C, g.H, g.W], g.seed), g.seed),
        dy = nf(valuesFor([g.N, g.C, g.OH, g.OW], g.seed + 1), g.seed + 1);
      const x32 = f32(x),
        dy32 = f32(dy);
      const label = `dynoSample ${JSON.stringify(g)}`;
      // the wasm loops evaluate the reference's float64 formulas in its order: exactly its
      // float32 results, and within FLOAT32_PARITY of the float64 reference
      const y = vals(wasm.dynoSample(x32, g));
      expect(y, label).toEqual(vals(ref.dynoSample(x32, g)));
      expectParity(label, y, vals(ref.dynoSample(f64(x), g)), vals(ref.dynoSample(f64(finiteAbs(x)), g)));
      const got = wasm.dynoSampleBackward(x32, dy32, g),
        want = ref.dynoSampleBackward(x32, dy32, g);
      expect(vals(got.dx), `${label} dx`).toEqual(vals(want.dx));
      expect(got.dh, `${label} dh`).toBe(want.dh);
      expect(got.dw, `${label} dw`).toBe(want.dw);
      return true;
    };

    it('DynOPool sampling forward and backward (dx, dh, dw): down- and upsampling, ties, NaN and +-Inf', () => {
      fc.assert(fc.property(arbDyno(), checkDyno), { seed: FC_SEED, numRuns: RUNS.medium });
    });

    it("DynOPool size gradients add each plane's sum in plane order, as the reference (a cancelling sum shows it)", () => {
      // 4 identical ramp planes (every cell's winner and term the same per plane), dy constant per
      // plane: the planes' sums are s * F for s = 1e20, 1, -1e20, 1e-3. In plane order the first
      // three cancel exactly and 1e-3 F survives; reversed, or as two per-thread totals, it is lost
      const g: DynoGeometry = { N: 1, C: 4, H: 6, W: 6, OH: 2, OW: 2, h: 2.4, w: 2.4 };
      const plane = Array.from({ length: 36 }, (_, i) => Math.floor(i / 6) * 6 + (i % 6));
      const x = f32([...plane, ...plane, ...plane, ...plane]);
      const dy = f32([1e20, 1, -1e20, 1e-3].flatMap((s) => [s, s, s, s]));
      const got = wasm.dynoSampleBackward(x, dy, g),
        want = ref.dynoSampleBackward(x, dy, g);
      expect(want.dh).not.toBe(0);
      expect(want.dw).not.toBe(0);
      expect(got.dh).toBe(want.dh);
      expect(got.dw).toBe(want.dw);
    });

    it('conv2d forward, input gradient and weight gradient: odd geometries', () => {
      fc.assert(fc.property(arbConv(), checkConv), { seed: FC_SEED, numRuns: RUNS.expensive });
    });

    it('conv2d forward, input gradient and weight gradient: depthwise', () => {
      fc.assert(fc.property(arbDepthwise(), checkConv), { seed: FC_SEED, numRuns: RUNS.expensive });
    });

    it('conv2d forward, input gradient and weight gradient: across the cache blocks', () => {
      fc.assert(fc.property(arbConvBlocks(), checkConv), {
        seed: FC_SEED,
        numRuns: Math.max(1, Math.round(RUNS.expensive / 4)),
      });
    });

    it('batched matmul, both transposes, K = 0 included', () => {
      fc.assert(fc.property(arbMatmul(20), checkMatmul), { seed: FC_SEED, numRuns: RUNS.medium });
    });

    it('batched matmul across the cache blocks (M > 128, K > 256, N > 512)', () => {
      fc.assert(
        fc.property(
          fc.record({
            B: fc.constant(1),
            M: fc.integer({ min: 120, max: 140 }),
            K: fc.integer({ min: 250, max: 270 }),
            N: fc.integer({ min: 505, max: 530 }),
            transA: fc.boolean(),
            transB: fc.boolean(),
            seed: arbSeed(),
          }),
          checkMatmul,
        ),
        { seed: FC_SEED, numRuns: 4 },
      );
    });
  });
}

describe('wasm backend', () => {
  const warnings: string[] = [];
  const backend = legacy(new WasmBackend({ threads: 1 }, (m) => warnings.push(m)));
  afterAll(() => {
    warnings.length = 0;
  });

  it('runs float64 kernels on the reference, warning once per kernel', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    const out = backend.matmul(f64(a), f64(a), 1, 2, 2, 2, false, false);
    backend.matmul(f64(a), f64(a), 1, 2, 2, 2, false, false);
    expect(out.dtype).toBe('float64');
    expect(vals(out)).toEqual(Float64Array.from([7, 10, 15, 22]));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/'matmul' runs on the CPU reference/);
  });

  it('runs the kernels it has no implementation of on the reference, without a warning', () => {
    const y = backend.unary('exp', f32([0, 0]));
    expect(vals(y)).toEqual(Float64Array.from([1, 1]));
    expect(y.hostValues()).toBeInstanceOf(Float32Array);
    expect(warnings).toHaveLength(1);
  });
});
