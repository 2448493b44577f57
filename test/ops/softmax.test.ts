import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropy, logSoftmax, logSumExp, softmax, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbDim, arbSeed, arbShape, tensorFor, expectGradOk } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('softmax family', () => {
  it('softmax, logSoftmax and logSumExp gradients on a random axis', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 1, maxDims: 3 }), fc.nat(5), arbSeed(), (shape, ax, seed) => {
        const axis = (ax % shape.length) - (ax % 2 ? shape.length : 0);
        const x = tensorFor(shape, seed, { lo: -4, hi: 4 });
        return (
          expectGradOk((t) => softmax(t, axis), [x]) &&
          expectGradOk((t) => logSoftmax(t, axis), [x]) &&
          expectGradOk((t) => logSumExp(t, axis), [x])
        );
      }),
      { numRuns: RUNS.medium },
    );
  });
  it('crossEntropy gradient (random labels)', () => {
    fc.assert(
      fc.property(arbDim(1, 5), arbDim(1, 6), arbSeed(), (n, c, seed) => {
        const labels = Array.from({ length: n }, (_, i) => (seed + i * 7) % c);
        return expectGradOk((t) => crossEntropy(t, labels), [tensorFor([n, c], seed, { lo: -3, hi: 3 })]);
      }),
      { numRuns: RUNS.medium },
    );
  });
  it('values: rows sum to 1, large logits do not overflow, CE matches the formula', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [1000, 1000, 1000],
      ],
      { dtype: 'float64' },
    );
    const s = vals(softmax(x));
    expect(s[0] + s[1] + s[2]).toBeCloseTo(1, 12);
    expect(s.slice(3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const ls = vals(logSoftmax(x));
    expect(ls[2]).toBeCloseTo(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
    const ce = crossEntropy(x, [2, 0]).item();
    expect(ce).toBeCloseTo((-ls[2] + Math.log(3)) / 2, 12);
  });
  it('crossEntropy gradient is (softmax - onehot) / N', () => {
    const x = tensor([[0.5, -1, 2]], { dtype: 'float64', requiresGrad: true });
    crossEntropy(x, [1]).backward();
    const p = vals(softmax(x.detach()));
    vals(x.grad!).forEach((g, i) => expect(g).toBeCloseTo(p[i] - (i === 1 ? 1 : 0), 12));
  });
  it('rejects bad labels with the label and the range', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => crossEntropy(x, [0, 2])).toThrow('crossEntropy: label 1 is 2, out of range for 2 classes [0, 1]');
    expect(() => crossEntropy(x, [0, NaN])).toThrow('crossEntropy: label 1 is NaN, not an integer class index');
    expect(() => crossEntropy(x, [0])).toThrow('crossEntropy: 1 labels for logits of shape [2, 2]');
    expect(() => crossEntropy(tensor([1, 2]), [0])).toThrow(
      'crossEntropy: logits must be 2-D ([batch, classes]), got shape [2]',
    );
  });
});
