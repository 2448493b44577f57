import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DYNO_MAX_SCALE,
  DynOPool,
  dynoPool2d,
  dynoSample,
  featureMap,
  gradcheck,
  maxPool2d,
  scalar,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbDynoSample, arbSeed, valuesFor, expectGradOk } from '../../src/testing/index.js';
import { vals } from '../support/values.js';
import { naiveDynoSample } from '../support/naive.js';

const f64 = (v: ArrayLike<number>, shape: number[]) => tensor(Float64Array.from(v), { shape, dtype: 'float64' });

/** A sampling problem away from kinks (no near-ties among the 4 points, no coordinate near an integer). */
const arbSampling = () => arbDynoSample(1e-3);

describe('dynoSample: forward', () => {
  it("equals the design doc's formula (an independent implementation), float64 and float32", () => {
    fc.assert(
      fc.property(arbSampling(), (c) => {
        const shape = [c.N, c.C, c.H, c.W];
        const xv = valuesFor(shape, c.seed);
        const ref = naiveDynoSample(xv, shape, c.h, c.w);
        const y = dynoSample(f64(xv, shape), scalar(c.h, { dtype: 'float64' }), scalar(c.w, { dtype: 'float64' }));
        expect(y.shape).toEqual(ref.shape);
        vals(y).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 12));
        const y32 = dynoSample(tensor(xv, { shape, dtype: 'float32' }), scalar(c.h), scalar(c.w));
        vals(y32).forEach((v, i) => expect(Math.abs(v - ref.out[i])).toBeLessThan(1e-5));
        return true;
      }),
      { numRuns: RUNS.medium },
    );
  });
  it('a small example by hand (3 rows sampled to 2, one column)', () => {
    // u(0, -) = -0.125 -> 0, u(0, +) = 0.625, u(1, -) = 1.375, u(1, +) = 2.125 -> 2
    const x = f64([0, 4, 2], [1, 1, 3, 1]);
    const h = scalar(2, { dtype: 'float64', requiresGrad: true });
    const w = scalar(1, { dtype: 'float64', requiresGrad: true });
    const xg = x.detach();
    xg.requiresGrad = true;
    const y = dynoSample(xg, h, w);
    expect(vals(y)).toEqual([2.5, 3.25]); // max(0, 2.5), max(3.25, 2)
    y.sum().backward();
    // dx: bilinear weights of the winners u = 0.625 and u = 1.375
    expect(vals(xg.grad!)).toEqual([0.375, 1.25, 0.375]);
    // dh = 4 * -(3/4)(0.75) + (-2) * -(3/4)(1.25) = -2.25 + 1.875; the single column is clamped: dw = 0
    expect(h.grad!.item()).toBeCloseTo(-0.375, 14);
    expect(w.grad!.item()).toBe(0);
  });
});

describe('dynoSample: gradients against finite differences', () => {
  it('for x, h and w, the row and column counts held fixed', () => {
    fc.assert(
      fc.property(arbSampling(), (c) => {
        const shape = [c.N, c.C, c.H, c.W];
        return expectGradOk(
          dynoSample,
          [f64(valuesFor(shape, c.seed), shape), scalar(c.h, { dtype: 'float64' }), scalar(c.w, { dtype: 'float64' })],
          { maxElements: 150 },
        );
      }),
      { numRuns: RUNS.expensive },
    );
  });
});

describe('dynoPool2d', () => {
  it('alpha = (2, 2) on even sizes (>= 4, so the bound of 2 is not hit) is 2x2 max pooling, bit for bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom<'float32' | 'float64'>('float32', 'float64'),
        arbSeed(),
        (hh, ww, C, dtype, seed) => {
          const shape = [2, C, 2 * hh, 2 * ww];
          const x = tensor(valuesFor(shape, seed, { lo: -100, hi: 100 }), { shape, dtype });
          const { output, size } = dynoPool2d(x, tensor([2, 2], { dtype }));
          expect(size.map((s) => s.item())).toEqual([hh, ww]);
          expect(vals(output)).toEqual(vals(maxPool2d(x, { kernelSize: 2 })));
          return true;
        },
      ),
      { numRuns: RUNS.medium },
    );
  });
  it('sizes: round(max(H / alpha, 1.5)), exactly integral, never below 2', () => {
    const x = f64(new Float64Array(32 * 32), [1, 1, 32, 32]);
    const cases: [number, number, number][] = [
      [2, 16, 16],
      [1.88, 17, 17],
      [32 / 16.5, 17, 17],
      [0.5, 64, 64],
      [30, 2, 2],
      [1000, 2, 2],
      [32 / 20.49, 20, 20],
    ];
    for (const [a, eh] of cases) {
      const { size, output } = dynoPool2d(x, f64([a, a], [2]));
      expect(size[0].item()).toBe(eh);
      expect(output.shape).toEqual([1, 1, eh, eh]);
    }
  });
  it("alpha gradient is the surrogate's: FD of round(s) + s - sg(s) with sg frozen", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 2, max: 7 }),
        fc.double({ min: 0.6, max: 3, noNaN: true }),
        fc.double({ min: 0.6, max: 3, noNaN: true }),
        arbSeed(),
        (H, W, ah, aw, seed) => {
          const shape = [1, 2, H, W];
          const x = f64(valuesFor(shape, seed), shape);
          const s0 = [H / ah, W / aw];
          const n = s0.map((s) => Math.floor(Math.max(s, 1.5) + 0.5));
          // keep away from rounding boundaries and from sampling kinks/ties at the base point
          fc.pre(s0.every((s) => s < 1.4 || Math.abs(s - Math.floor(s) - 0.5) > 0.01));
          const r = naiveDynoSample(valuesFor(shape, seed), shape, n[0], n[1]);
          fc.pre(r.minTieGap > 1e-3 && r.minKinkDistance > 1e-3);
          // the frozen-surrogate function: sizes n + s(alpha) - s0, differentiable and FD-checkable
          const frozen = (xx: Tensor, alpha: Tensor) => {
            const hsz = alpha.slice([0], [1]).reshape([]).pow(-1).mul(H).sub(s0[0]).add(n[0]);
            const wsz = alpha.slice([1], [2]).reshape([]).pow(-1).mul(W).sub(s0[1]).add(n[1]);
            return dynoSample(xx, hsz, wsz);
          };
          const alpha = f64([ah, aw], [2]);
          expectGradOk(frozen, [x, alpha], { maxElements: 100 });
          // dynoPool2d's autograd gradient equals the frozen function's, and so the FD one
          const v = f64(valuesFor([1, 2, n[0], n[1]], seed + 9), [1, 2, n[0], n[1]]);
          const grads = (fn: (xx: Tensor, a: Tensor) => Tensor) => {
            const a = alpha.detach();
            a.requiresGrad = true;
            const xx = x.detach();
            xx.requiresGrad = true;
            fn(xx, a).mul(v).sum().backward();
            return [...vals(a.grad!), ...vals(xx.grad!)];
          };
          const ours = grads((xx, a) => dynoPool2d(xx, a).output);
          grads(frozen).forEach((g, i) => expect(ours[i]).toBeCloseTo(g, 10));
          return true;
        },
      ),
      { numRuns: RUNS.expensive },
    );
  });
  it("a chain of two layers: gradients reach the first alpha through the second layer's size", () => {
    const shape = [1, 1, 11, 9];
    const x = f64(valuesFor(shape, 5), shape);
    const run = (a1: Tensor, a2: Tensor) => {
      const first = dynoPool2d(x, a1);
      return dynoPool2d(first.output, a2, { inSize: first.size });
    };
    const a1 = f64([1.7, 1.3], [2]),
      a2 = f64([1.6, 1.9], [2]);
    a1.requiresGrad = true;
    a2.requiresGrad = true;
    const second = run(a1, a2);
    // only the sizes of layer 2 depend on a1 here: d size2 / d a1 = (1 / a2) * d size1 / d a1
    second.size[0].add(second.size[1]).backward();
    const [g1h, g1w] = vals(a1.grad!);
    expect(g1h).toBeCloseTo((1 / 1.6) * (-11 / 1.7 ** 2), 12);
    expect(g1w).toBeCloseTo((1 / 1.9) * (-9 / 1.3 ** 2), 12);
    // and the whole chain against the frozen surrogate
    const s1 = [11 / 1.7, 9 / 1.3],
      n1 = s1.map((s) => Math.floor(s + 0.5));
    const s2 = [n1[0] / 1.6, n1[1] / 1.9],
      n2 = s2.map((s) => Math.floor(s + 0.5));
    const frozenChain = (b1: Tensor, b2: Tensor) => {
      const size = (inSize: Tensor, a: Tensor, k: number, s0: number, n: number) =>
        inSize
          .div(a.slice([k], [k + 1]).reshape([]))
          .sub(s0)
          .add(n);
      const h1 = size(scalar(11, { dtype: 'float64' }), b1, 0, s1[0], n1[0]),
        w1 = size(scalar(9, { dtype: 'float64' }), b1, 1, s1[1], n1[1]);
      const y1 = dynoSample(x, h1, w1);
      return dynoSample(y1, size(h1, b2, 0, s2[0], n2[0]), size(w1, b2, 1, s2[1], n2[1]));
    };
    expect(() => gradcheck(frozenChain, [a1.detach(), a2.detach()])).not.toThrow();
    const v = f64(valuesFor([1, 1, n2[0], n2[1]], 11), [1, 1, n2[0], n2[1]]);
    const b1 = a1.detach(),
      b2 = a2.detach(),
      c1 = a1.detach(),
      c2 = a2.detach();
    for (const t of [b1, b2, c1, c2]) t.requiresGrad = true;
    run(b1, b2).output.mul(v).sum().backward();
    frozenChain(c1, c2).mul(v).sum().backward();
    vals(b1.grad!).forEach((g, i) => expect(g).toBeCloseTo(vals(c1.grad!)[i], 10));
    vals(b2.grad!).forEach((g, i) => expect(g).toBeCloseTo(vals(c2.grad!)[i], 10));
  });
  it('a size held at the lower bound 2 still passes gradient to alpha', () => {
    const x = f64(valuesFor([1, 1, 4, 4], 1), [1, 1, 4, 4]);
    const alpha = f64([10, 10], [2]);
    alpha.requiresGrad = true;
    const { size } = dynoPool2d(x, alpha);
    expect(size[0].item()).toBe(2);
    size[0].mul(size[1]).backward();
    // d(h w)/d alpha_h = w * (-H / alpha_h^2) = 2 * -0.04
    expect(vals(alpha.grad!)).toEqual([-0.08, -0.08]);
  });
  it('upsamples with alpha < 1', () => {
    const x = f64([1, 2, 3, 4], [1, 1, 2, 2]);
    const { output } = dynoPool2d(x, f64([0.5, 0.5], [2]));
    expect(output.shape).toEqual([1, 1, 4, 4]);
    const ref = naiveDynoSample(Float64Array.from([1, 2, 3, 4]), [1, 1, 2, 2], 4, 4);
    expect(vals(output)).toEqual(ref.out);
  });
  it('rejects bad alpha, sizes and inputs, naming the values', () => {
    const x = f64(new Float64Array(16), [1, 1, 4, 4]);
    expect(() => dynoPool2d(x, f64([2, 2, 2], [3]))).toThrow(
      'dynoPool2d: alpha must have shape [2] (alpha_h, alpha_w), got [3]',
    );
    expect(() => dynoPool2d(x, f64([2, 0], [2]))).toThrow('dynoPool2d: alpha must be finite and positive, got [2, 0]');
    expect(() => dynoPool2d(x, f64([NaN, 1], [2]))).toThrow(
      'dynoPool2d: alpha must be finite and positive, got [NaN, 1]',
    );
    expect(() => dynoPool2d(x, f64([-1, 1], [2]))).toThrow(
      'dynoPool2d: alpha must be finite and positive, got [-1, 1]',
    );
    expect(() => dynoPool2d(x, tensor([2, 2]))).toThrow(
      'dynoPool2d: dtype mismatch: input is float64 [1, 1, 4, 4], alpha is float32 [2]',
    );
    expect(() =>
      dynoPool2d(x, f64([2, 2], [2]), { inSize: [scalar(5, { dtype: 'float64' }), scalar(4, { dtype: 'float64' })] }),
    ).toThrow('dynoPool2d: inSize is [5, 4] but the input is 4x4');
    expect(() => dynoSample(x, scalar(0.2, { dtype: 'float64' }), scalar(2, { dtype: 'float64' }))).toThrow(
      'dynoSample: h must be a finite size >= 0.5',
    );
    expect(() => dynoSample(x, f64([2, 2], [2]), scalar(2, { dtype: 'float64' }))).toThrow(
      'dynoSample: h must be a 0-d size tensor, got shape [2]',
    );
  });
});

describe('dynoPool2d: the bound on the output size (issue 13.3)', () => {
  const x32 = () => tensor(new Float32Array(3 * 32 * 32), { shape: [1, 3, 32, 32] });
  it("has a documented default of 8x the input per axis, above the trainer's alphaMin = 0.25 (4x)", () => {
    expect(DYNO_MAX_SCALE).toBe(8);
    expect(dynoPool2d(x32(), tensor([0.25, 0.25])).output.shape).toEqual([1, 3, 128, 128]);
    // exactly at the bound is allowed, one row more is not
    expect(dynoPool2d(x32(), tensor([0.125, 2])).output.shape).toEqual([1, 3, 256, 16]);
    expect(() => dynoPool2d(x32(), tensor([2, 32 / 257]))).toThrow(
      /dynoPool2d: alpha_w = 0\.124514 asks for 257 output columns from 32 input columns/,
    );
  });
  it('alpha = 1e-6 gives a named error at once (not a RangeError, not a long run)', () => {
    let err: unknown;
    try {
      dynoPool2d(x32(), tensor([1e-6, 1e-6]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(
      /^dynoPool2d: alpha_h = 0\.000001 asks for 3200000\d output rows from 32 input rows \(input \[1, 3, 32, 32\]\), more than maxScale = 8 times the input allows \(at most 256 rows\); alpha is far too small: lower alpha's learning rate, raise alphaMin \(the trainer clamps alpha to \[alphaMin, alphaMax\]\), or raise maxScale$/,
    );
  });
  it('an infinite size (alpha tiny enough that H / alpha overflows float32) is the same error', () => {
    expect(() => dynoPool2d(x32(), tensor([2, 1e-40]))).toThrow(
      /dynoPool2d: alpha_w = 9.99995e-41 asks for Infinity output columns from 32 input columns/,
    );
  });
  it('maxScale is an option, and must be a finite number >= 1', () => {
    expect(dynoPool2d(x32(), tensor([0.1, 0.1]), { maxScale: 10 }).output.shape).toEqual([1, 3, 320, 320]);
    expect(() => dynoPool2d(x32(), tensor([0.1, 2]), { maxScale: 9 })).toThrow(
      'more than maxScale = 9 times the input allows (at most 288 rows)',
    );
    expect(() => dynoPool2d(x32(), tensor([2, 2]), { maxScale: 0.5 })).toThrow(
      'dynoPool2d: maxScale must be a finite number >= 1, got 0.5',
    );
    expect(() => dynoPool2d(x32(), tensor([2, 2]), { maxScale: Infinity })).toThrow(
      'dynoPool2d: maxScale must be a finite number >= 1, got Infinity',
    );
  });
  it('small inputs may always reach the minimum size 2', () => {
    const x = tensor([1], { shape: [1, 1, 1, 1] });
    expect(dynoPool2d(x, tensor([2, 2]), { maxScale: 1 }).output.shape).toEqual([1, 1, 2, 2]);
  });
  it('dynoSample has the same bound', () => {
    expect(() => dynoSample(x32(), scalar(257), scalar(16))).toThrow(
      /dynoSample: h = 257 asks for 257 output rows from 32 input rows \(input \[1, 3, 32, 32\]\), more than maxScale = 8 times the input allows \(at most 256 rows\)/,
    );
  });
  it('through the DynOPool module the error says "DynOPool layer"', () => {
    const pool = new DynOPool({ alpha: 1e-6 });
    expect(() => pool.forward(featureMap(x32()))).toThrow(
      /^DynOPool layer \(dynoPool2d\): alpha_h = 0\.000001 asks for 3200000\d output rows from 32 input rows \(input \[1, 3, 32, 32\]\)/,
    );
    pool.alpha.assign(tensor([NaN, 2]));
    expect(() => pool.forward(featureMap(x32()))).toThrow(
      'DynOPool layer (dynoPool2d): alpha must be finite and positive, got [NaN, 2] (input [1, 3, 32, 32])',
    );
  });
  it('refuses zero, negative, NaN and infinite alpha, naming the op and the values', () => {
    for (const a of [
      [0, 2],
      [2, -1],
      [NaN, 2],
      [Infinity, 2],
      [2, -Infinity],
    ]) {
      expect(() => dynoPool2d(x32(), tensor(a))).toThrow(
        `dynoPool2d: alpha must be finite and positive, got [${a.join(', ')}] (input [1, 3, 32, 32])`,
      );
    }
  });
});
