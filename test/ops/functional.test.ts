import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, dropout, linear, ones, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbDim, arbSeed, tensorFor, expectGradOk } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('linear', () => {
  it('gradients for x, weight and bias (batched inputs)', () => {
    fc.assert(
      fc.property(fc.array(arbDim(1, 3), { maxLength: 2 }), arbDim(), arbDim(), arbSeed(), (batch, fin, fout, seed) =>
        expectGradOk(linear, [
          tensorFor([...batch, fin], seed),
          tensorFor([fout, fin], seed + 1),
          tensorFor([fout], seed + 2),
        ]),
      ),
      { numRuns: RUNS.medium },
    );
  });
  it("computes x W^T + b with PyTorch's [out, in] weight layout", () => {
    expect(
      vals(
        linear(
          tensor([[1, 2]]),
          tensor([
            [1, 0],
            [1, 1],
            [0, 2],
          ]),
          tensor([0, 10, 100]),
        ),
      ),
    ).toEqual([1, 13, 104]);
    expect(() => linear(tensor([[1, 2, 3]]), tensor([[1, 0]]))).toThrow(
      'linear: input has 3 features (shape [1, 3]), weight [1, 2] expects 2',
    );
  });
});

describe('dropout', () => {
  it('gradient is the mask scaled by 1 / (1 - p) (same generator seed for both passes)', () => {
    fc.assert(
      fc.property(arbSeed(), fc.double({ min: 0.1, max: 0.8, noNaN: true }), (seed, p) =>
        expectGradOk((x) => dropout(x, p, { generator: new Generator(seed) }), [tensorFor([3, 4], seed)]),
      ),
      { numRuns: RUNS.medium },
    );
  });
  it('keeps the mean in expectation, is the identity in eval mode, and is seeded', () => {
    const x = ones([100000]);
    const y = dropout(x, 0.3, { generator: new Generator(1) });
    expect(Math.abs(y.mean().item() - 1)).toBeLessThan(0.02);
    expect(new Set(vals(y).map((v) => Math.fround(v)))).toEqual(new Set([0, Math.fround(1 / 0.7)]));
    expect(dropout(x, 0.3, { training: false })).toBe(x);
    expect(vals(dropout(tensor([1, 2, 3, 4]), 0.5, { generator: new Generator(9) }))).toEqual(
      vals(dropout(tensor([1, 2, 3, 4]), 0.5, { generator: new Generator(9) })),
    );
    expect(() => dropout(x, 1)).toThrow('dropout: p must be in [0, 1), got 1');
  });
});
