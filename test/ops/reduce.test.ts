import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { distinctValues, tensorFor, expectGradOk, arbReduction } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('reductions: gradients against finite differences', () => {
  it('sum', () => {
    fc.assert(
      fc.property(arbReduction(), ({ shape, axes, keepdim, seed }) =>
        expectGradOk((x) => x.sum(axes, keepdim), [tensorFor(shape, seed)]),
      ),
      { numRuns: RUNS.medium },
    );
  });
  it('mean', () => {
    fc.assert(
      fc.property(arbReduction(), ({ shape, axes, keepdim, seed }) =>
        expectGradOk((x) => x.mean(axes, keepdim), [tensorFor(shape, seed)]),
      ),
      { numRuns: RUNS.medium },
    );
  });
  for (const op of ['max', 'min'] as const) {
    it(`${op} (distinct values, no ties)`, () => {
      fc.assert(
        fc.property(arbReduction(), ({ shape, axes, keepdim, seed }) => {
          const x = tensor(
            distinctValues(
              shape.reduce((a, b) => a * b, 1),
              seed,
            ),
            { shape, dtype: 'float64' },
          );
          return expectGradOk((t: Tensor) => t[op](axes, keepdim), [x]);
        }),
        { numRuns: RUNS.medium },
      );
    });
  }
  it('var (correction 0 and 1)', () => {
    fc.assert(
      fc.property(arbReduction(), fc.constantFrom(0, 1), ({ shape, axes, keepdim, seed }, correction) => {
        const count = (axes ?? shape.map((_, i) => i)).reduce(
          (n: number, a: number) => n * shape[(a + shape.length) % shape.length],
          1,
        );
        fc.pre(count - correction > 0);
        return expectGradOk((x) => x.var(axes, { correction, keepdim }), [tensorFor(shape, seed)]);
      }),
      { numRuns: RUNS.medium },
    );
  });
});

describe('reductions: values and conventions', () => {
  const x = tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);
  it('reduces the named axes, keeping them on request', () => {
    expect(vals(x.sum())).toEqual([21]);
    expect(x.sum().shape).toEqual([]);
    expect(vals(x.sum(0))).toEqual([5, 7, 9]);
    expect(vals(x.sum(-1, true))).toEqual([9, 12]);
    expect(x.sum(-1, true).shape).toEqual([2, 1]);
    expect(vals(x.mean(1))).toEqual([3, 4]);
    expect(vals(x.max(1))).toEqual([5, 6]);
    expect(vals(x.min(0))).toEqual([1, 2, 3]);
    expect(vals(x.var(1))).toEqual([4, 4]);
    expect(vals(x.var(1, { correction: 0 }))).toEqual([8 / 3, 8 / 3].map(Math.fround));
  });
  it('max splits the gradient evenly among tied maxima', () => {
    const t = tensor([3, 1, 3, 2], { requiresGrad: true });
    t.max().backward();
    expect(vals(t.grad!)).toEqual([0.5, 0, 0.5, 0]);
  });
  it('rejects bad axes and empty reductions, naming the op', () => {
    expect(() => x.sum(2)).toThrow('sum: axis 2 is out of range for a tensor with 2 dimensions');
    expect(() => x.mean([0, -2])).toThrow('mean: repeated axis in [0, -2]');
    expect(() => tensor([]).max()).toThrow('max: cannot reduce an empty tensor');
    expect(() => tensor([1]).var()).toThrow(/var: 1 value .* leaves no degrees of freedom/);
  });
});

describe('function forms', () => {
  it('var is exported under its PyTorch name as well as variance', async () => {
    const dp = await import('../../src/index.js');
    const x = tensor([1, 2, 3, 4]);
    expect(dp.var(x).item()).toBe(dp.variance(x).item());
    expect(dp.var(x).item()).toBeCloseTo(5 / 3, 6);
  });
});
