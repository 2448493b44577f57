import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eye, matmul, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbSeed, tensorFor, expectGradOk, arbMatmulShapes } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('matmul', () => {
  it('gradients against finite differences (vectors, batches, broadcast batches)', () => {
    fc.assert(
      fc.property(arbMatmulShapes(), arbSeed(), ([sa, sb], seed) =>
        expectGradOk(matmul, [tensorFor(sa, seed), tensorFor(sb, seed + 1)]),
      ),
      { numRuns: RUNS.medium },
    );
  });
  it('computes products with NumPy shapes', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      vals(
        a.matmul(
          tensor([
            [5, 6],
            [7, 8],
          ]),
        ),
      ),
    ).toEqual([19, 22, 43, 50]);
    expect(vals(a.matmul(tensor([1, 1])))).toEqual([3, 7]);
    expect(a.matmul(tensor([1, 1])).shape).toEqual([2]);
    expect(tensor([1, 1]).matmul(tensor([1, 1])).shape).toEqual([]);
    expect(vals(a.matmul(eye(2)))).toEqual(vals(a));
    expect(
      tensor([
        [
          [1, 0],
          [0, 1],
        ],
      ])
        .expand([3, 2, 2])
        .matmul(a).shape,
    ).toEqual([3, 2, 2]);
  });
  it('rejects mismatched inner dimensions', () => {
    expect(() => tensor([[1, 2, 3]]).matmul(tensor([[1, 2]]))).toThrow(
      'matmul: inner dimensions differ: [1, 3] @ [1, 2] (3 vs 1)',
    );
  });
});
