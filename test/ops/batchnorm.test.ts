import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchNorm2d, tensor, type Tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { tensorFor, expectGradOk, arbBatchNorm2d } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('batchNorm2d', () => {
  it('training-mode gradients for x (through the batch statistics), weight and bias', () => {
    fc.assert(
      fc.property(arbBatchNorm2d(), (c) =>
        expectGradOk(
          (x, w, b) => batchNorm2d(x, { weight: w, bias: b, training: true }),
          [tensorFor([c.N, c.C, c.H, c.W], c.seed), tensorFor([c.C], c.seed + 1), tensorFor([c.C], c.seed + 2)],
          { maxElements: 120 },
        ),
      ),
      { numRuns: RUNS.expensive },
    );
  });
  it('eval-mode gradients (running statistics are constants)', () => {
    fc.assert(
      fc.property(arbBatchNorm2d(), (c) => {
        const rm = tensorFor([c.C], c.seed + 3),
          rv = tensorFor([c.C], c.seed + 4, { lo: 0.5, hi: 2 });
        return expectGradOk(
          (x, w, b) => batchNorm2d(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false }),
          [tensorFor([c.N, c.C, c.H, c.W], c.seed), tensorFor([c.C], c.seed + 1), tensorFor([c.C], c.seed + 2)],
          { maxElements: 120 },
        );
      }),
      { numRuns: RUNS.expensive },
    );
  });
  it('gradients without affine parameters', () => {
    fc.assert(
      fc.property(arbBatchNorm2d(), (c) =>
        expectGradOk((x) => batchNorm2d(x), [tensorFor([c.N, c.C, c.H, c.W], c.seed)], { maxElements: 120 }),
      ),
      { numRuns: RUNS.medium },
    );
  });
  it('a small example by hand: normalises per channel, then scales and shifts', () => {
    // channel 0: [1, 3] -> mean 2, var 1; channel 1: [10, 10] -> mean 10, var 0
    const x = tensor([1, 10, 3, 10], { shape: [2, 2, 1, 1], dtype: 'float64' });
    const y = batchNorm2d(x, {
      weight: tensor([2, 1], { dtype: 'float64' }),
      bias: tensor([0, 5], { dtype: 'float64' }),
      eps: 0 + 1e-12,
    });
    const got = vals(y);
    [-2, 5, 2, 5].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });
  it("updates running statistics in place with PyTorch's rule (unbiased variance)", () => {
    const x = tensor([1, 3, 5, 7], { shape: [4, 1, 1, 1], dtype: 'float64' }); // mean 4, biased var 5, unbiased 20/3
    const rm = tensor([0], { dtype: 'float64' }),
      rv = tensor([1], { dtype: 'float64' });
    batchNorm2d(x, { runningMean: rm, runningVar: rv, momentum: 0.1 });
    expect(rm.item()).toBeCloseTo(0.4, 12);
    expect(rv.item()).toBeCloseTo(0.9 + (0.1 * 20) / 3, 12);
  });
  it('eval mode normalises with the running statistics', () => {
    const x = tensor([2, 4], { shape: [2, 1, 1, 1], dtype: 'float64' });
    const y = batchNorm2d(x, {
      runningMean: tensor([1], { dtype: 'float64' }),
      runningVar: tensor([4], { dtype: 'float64' }),
      training: false,
      eps: 1e-12,
    });
    vals(y).forEach((v, i) => expect(v).toBeCloseTo([0.5, 1.5][i], 9));
  });
  it('rejects bad input', () => {
    const x: Tensor = tensor([1, 2, 3], { shape: [1, 3, 1, 1] });
    expect(() => batchNorm2d(x)).toThrow(
      'batchNorm2d: expected more than 1 value per channel in training mode, got input of shape [1, 3, 1, 1]',
    );
    expect(() => batchNorm2d(tensorFor([2, 3, 1, 1], 0, { dtype: 'float32' }), { weight: tensor([1, 2]) })).toThrow(
      'batchNorm2d: weight must have shape [3] for an input with 3 channels, got [2]',
    );
    expect(() => batchNorm2d(x, { training: false })).toThrow(
      'batchNorm2d: eval mode (training: false) needs runningMean and runningVar',
    );
    expect(() => batchNorm2d(tensor([1, 2]))).toThrow('batchNorm2d: input must be 4-D');
  });
});
