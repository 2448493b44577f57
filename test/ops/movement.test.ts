import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, concat, stack, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbSeed, arbShape, tensorFor, expectGradOk } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('movement ops: gradients against finite differences', () => {
  it('reshape (with an inferred -1)', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 1 }), arbSeed(), (shape, seed) =>
        expectGradOk((x) => x.reshape([-1]).reshape([...shape].reverse()), [tensorFor(shape, seed)]),
      ),
      { numRuns: RUNS.cheap },
    );
  });
  it('permute / transpose', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 2, maxDims: 4 }), arbSeed(), (shape, seed) => {
        const g = (s: number) => (s * 2654435761) >>> 0;
        const perm = shape.map((_, i) => i).sort((a, b) => g(seed + a) - g(seed + b));
        return expectGradOk((x) => x.permute(perm).transpose(0, -1), [tensorFor(shape, seed)]);
      }),
      { numRuns: RUNS.cheap },
    );
  });
  it('expand', () => {
    fc.assert(
      fc.property(
        arbShape({ maxDims: 3 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        arbSeed(),
        (target, ones, seed) => {
          const src = target.map((d, i) => (ones[i] ? 1 : d));
          return expectGradOk((x) => x.expand([2, ...target]), [tensorFor(src, seed)]);
        },
      ),
      { numRuns: RUNS.cheap },
    );
  });
  it('slice (negative and clipped indices)', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 1, maxDims: 3, max: 5 }), arbSeed(), (shape, seed) => {
        const starts = shape.map((d, i) => ((seed >> i) & 1 ? -Math.ceil(d / 2) : Math.floor(d / 3)));
        const ends = shape.map((d, i) => ((seed >> (i + 3)) & 1 ? d + 2 : undefined));
        return expectGradOk((x) => x.slice(starts, ends), [tensorFor(shape, seed)]);
      }),
      { numRuns: RUNS.cheap },
    );
  });
  it('pad', () => {
    fc.assert(
      fc.property(arbShape({ minDims: 1, maxDims: 3 }), arbSeed(), (shape, seed) => {
        const pads = shape.map((_, i) => [(seed >> i) & 3, (seed >> (i + 2)) & 1] as [number, number]);
        return expectGradOk((x) => x.pad(pads, 0.5), [tensorFor(shape, seed)]);
      }),
      { numRuns: RUNS.cheap },
    );
  });
  it('concat and stack', () => {
    fc.assert(
      fc.property(
        arbShape({ minDims: 1, maxDims: 3 }),
        fc.nat(2),
        fc.integer({ min: 1, max: 3 }),
        arbSeed(),
        (shape, axisSeed, k, seed) => {
          const axis = axisSeed % shape.length;
          const other = shape.map((d, i) => (i === axis ? k : d));
          return (
            expectGradOk(
              (a, b, c) => concat([a, b, c], axis),
              [tensorFor(shape, seed), tensorFor(other, seed + 1), tensorFor(shape, seed + 2)],
            ) && expectGradOk((a, b) => stack([a, b], -1), [tensorFor(shape, seed), tensorFor(shape, seed + 3)])
          );
        },
      ),
      { numRuns: RUNS.cheap },
    );
  });
});

describe('movement ops: values', () => {
  const x = arange(6).reshape([2, 3]);
  it('rearranges as NumPy does', () => {
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(vals(x.transpose())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(vals(arange(24).reshape([2, 3, 4]).permute([2, 0, 1]).slice([1], [2]))).toEqual([1, 5, 9, 13, 17, 21]);
    expect(vals(tensor([[1], [2]]).expand([2, 3]))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(vals(x.slice([-1, 1]))).toEqual([4, 5]);
    expect(vals(x.slice([0, 0], [1, -1]))).toEqual([0, 1]);
    expect(vals(tensor([1, 2]).pad([[1, 2]], 9))).toEqual([9, 1, 2, 9, 9]);
    expect(vals(concat([x, x.mul(10)], 1))).toEqual([0, 1, 2, 0, 10, 20, 3, 4, 5, 30, 40, 50]);
    expect(stack([x, x]).shape).toEqual([2, 2, 3]);
    expect(x.flatten().shape).toEqual([6]);
  });
  it('rejects impossible requests, naming the op and shapes', () => {
    expect(() => x.reshape([4, -1])).toThrow('reshape: cannot reshape [2, 3] (6 elements) into [4, -1]');
    expect(() => x.reshape([-1, -1])).toThrow('reshape: at most one dimension can be -1');
    expect(() => x.permute([0, 0])).toThrow('permute: [0, 0] is not a permutation of the 2 axes of [2, 3]');
    expect(() => x.expand([4, 3])).toThrow('expand: cannot expand [2, 3] to [4, 3]: dimension 0 is 2, not 1');
    expect(() => x.pad([[1, -1]])).toThrow('pad: padding of axis 0 must be a pair of non-negative integers');
    expect(() => concat([x, tensor([1, 2])])).toThrow('concat: tensor 1 has shape [2], incompatible with [2, 3]');
    expect(() => x.slice([0, 0, 0])).toThrow('slice: 3 ranges given for a tensor of shape [2, 3]');
  });
});
