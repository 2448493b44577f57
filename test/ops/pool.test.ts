import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avgPool2d, globalAvgPool2d, maxPool2d, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { distinctValues, tensorFor, expectGradOk, arbPool2d } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('pooling', () => {
  it('maxPool2d gradient (distinct values: no ties)', () => {
    fc.assert(
      fc.property(arbPool2d(), (c) => {
        const shape = [c.N, c.C, c.H, c.W];
        const x = tensor(distinctValues(c.N * c.C * c.H * c.W, c.seed), { shape, dtype: 'float64' });
        return expectGradOk((t) => maxPool2d(t, { kernelSize: c.k, stride: c.stride, padding: c.padding }), [x], {
          maxElements: 200,
        });
      }),
      { numRuns: RUNS.expensive },
    );
  });
  it('avgPool2d gradient (both padding-count conventions)', () => {
    fc.assert(
      fc.property(arbPool2d(), (c) =>
        expectGradOk(
          (t) =>
            avgPool2d(t, { kernelSize: c.k, stride: c.stride, padding: c.padding, countIncludePad: c.countIncludePad }),
          [tensorFor([c.N, c.C, c.H, c.W], c.seed)],
          { maxElements: 200 },
        ),
      ),
      { numRuns: RUNS.expensive },
    );
  });
  it('globalAvgPool2d gradient', () => {
    fc.assert(
      fc.property(arbPool2d(), (c) => expectGradOk(globalAvgPool2d, [tensorFor([c.N, c.C, c.H, c.W], c.seed)])),
      { numRuns: RUNS.medium },
    );
  });
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { shape: [1, 1, 4, 4] });
  it('values by hand', () => {
    expect(vals(maxPool2d(x, { kernelSize: 2 }))).toEqual([6, 8, 14, 16]);
    expect(vals(avgPool2d(x, { kernelSize: 2 }))).toEqual([3.5, 5.5, 11.5, 13.5]);
    expect(vals(maxPool2d(x, { kernelSize: 3, stride: 1 }))).toEqual([11, 12, 15, 16]);
    // padding: -inf for max; zeros counted (default) or not for the average
    expect(vals(maxPool2d(tensor([-1, -2, -3, -4], { shape: [1, 1, 2, 2] }), { kernelSize: 2, padding: 1 }))).toEqual([
      -1, -2, -3, -4,
    ]);
    const one = tensor([4], { shape: [1, 1, 1, 1] });
    expect(vals(avgPool2d(one, { kernelSize: 3, stride: 1, padding: 1 }))).toEqual([4 / 9].map(Math.fround));
    expect(vals(avgPool2d(one, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false }))).toEqual([4]);
    expect(vals(globalAvgPool2d(x))).toEqual([8.5]);
    expect(globalAvgPool2d(x).shape).toEqual([1, 1]);
  });
  it("maxPool2d sends a tied window's gradient to its first maximum only", () => {
    const t = tensor([5, 5, 5, 5], { shape: [1, 1, 2, 2], requiresGrad: true });
    maxPool2d(t, { kernelSize: 2 }).sum().backward();
    expect(vals(t.grad!)).toEqual([1, 0, 0, 0]);
  });
  it('rejects bad windows', () => {
    expect(() => maxPool2d(x, { kernelSize: 5 })).toThrow('maxPool2d: kernel 5x5 is larger than the padded input 4x4');
    expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(
      'maxPool2d: padding 2x2 must be at most half the kernel 2x2',
    );
    expect(() => avgPool2d(x, { kernelSize: 0 })).toThrow('avgPool2d: kernelSize must be an integer >= 1');
    expect(() => globalAvgPool2d(tensor([1]))).toThrow('globalAvgPool2d: input must be 4-D');
  });
});
