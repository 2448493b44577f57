import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as dp from '../../src/index.js';
import { tensor, type Tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import {
  arbBroadcastPair,
  arbSeed,
  arbShape,
  tensorFor,
  type ValueOptions,
  expectGradOk,
  latticeValues,
} from '../../src/testing/index.js';
import { vals } from '../support/values.js';

const f64 = (v: number[] | Float64Array, shape: number[]) => tensor(Float64Array.from(v), { shape, dtype: 'float64' });

describe('binary ops: gradients against finite differences (broadcasting shapes)', () => {
  const cases: { name: string; fn: (a: Tensor, b: Tensor) => Tensor; a?: ValueOptions; b?: ValueOptions }[] = [
    { name: 'add', fn: dp.add },
    { name: 'sub', fn: dp.sub },
    { name: 'mul', fn: dp.mul },
    { name: 'div', fn: dp.div, b: { awayFrom: [0], margin: 0.3 } },
    { name: 'pow', fn: dp.pow, a: { lo: 0.3, hi: 2.5 } },
  ];
  for (const c of cases) {
    it(`${c.name}`, () => {
      fc.assert(
        fc.property(arbBroadcastPair(), arbSeed(), ([sa, sb], seed) =>
          expectGradOk(c.fn, [tensorFor(sa, seed, c.a), tensorFor(sb, seed + 1, c.b)]),
        ),
        { numRuns: RUNS.cheap },
      );
    });
  }
  for (const name of ['maximum', 'minimum'] as const) {
    it(`${name} (values on disjoint lattices, so never tied)`, () => {
      fc.assert(
        fc.property(arbBroadcastPair(), arbSeed(), ([sa, sb], seed) => {
          const a = f64(
            latticeValues(
              sa.reduce((x, y) => x * y, 1),
              seed,
              0.025,
            ),
            sa,
          );
          const b = f64(
            latticeValues(
              sb.reduce((x, y) => x * y, 1),
              seed + 7,
              0.075,
            ),
            sb,
          );
          return expectGradOk(dp[name], [a, b]);
        }),
        { numRuns: RUNS.cheap },
      );
    });
  }
  it('where: gradient reaches a where cond holds and b elsewhere', () => {
    fc.assert(
      fc.property(arbBroadcastPair(), arbSeed(), ([sa, sb], seed) => {
        const cond = tensorFor(sa, seed + 3).gt(0);
        return expectGradOk((a, b) => dp.where(cond, a, b), [tensorFor(sa, seed), tensorFor(sb, seed + 1)]);
      }),
      { numRuns: RUNS.cheap },
    );
  });
});

describe('binary ops: exact values and conventions', () => {
  it('broadcasts like NumPy', () => {
    const a = tensor([[1], [2], [3]]);
    const b = tensor([10, 20]);
    expect(a.add(b).shape).toEqual([3, 2]);
    expect(vals(a.add(b))).toEqual([11, 21, 12, 22, 13, 23]);
    expect(vals(a.sub(b))).toEqual([-9, -19, -8, -18, -7, -17]);
    expect(vals(a.mul(b))).toEqual([10, 20, 20, 40, 30, 60]);
    expect(vals(tensor([6, 9]).div(tensor([3])))).toEqual([2, 3]);
    expect(vals(tensor([2, 3]).pow(2))).toEqual([4, 9]);
    expect(vals(tensor([-2]).pow(3))).toEqual([-8]);
    expect(vals(tensor([1, 5]).maximum(tensor([3, 3])))).toEqual([3, 5]);
    expect(vals(tensor([1, 5]).minimum(3))).toEqual([1, 3]);
  });
  it('scalars on either side take the tensor dtype', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(dp.sub(10, x).dtype).toBe('float64');
    expect(vals(dp.sub(10, x))).toEqual([9, 8]);
    expect(vals(dp.div(1, x))).toEqual([1, 0.5]);
  });
  it('comparisons give 1/0 and carry no gradient', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    expect(vals(a.eq(2))).toEqual([0, 1, 0]);
    expect(vals(a.gt(2))).toEqual([0, 0, 1]);
    expect(vals(a.ge(2))).toEqual([0, 1, 1]);
    expect(vals(a.lt(2))).toEqual([1, 0, 0]);
    expect(vals(a.le(2))).toEqual([1, 1, 0]);
    expect(a.gt(2).requiresGrad).toBe(false);
  });
  it('maximum/minimum split the gradient on a tie', () => {
    const a = tensor([2, 1], { requiresGrad: true });
    const b = tensor([2, 3], { requiresGrad: true });
    a.maximum(b).sum().backward();
    expect(vals(a.grad!)).toEqual([0.5, 0]);
    expect(vals(b.grad!)).toEqual([0.5, 1]);
  });
  it('pow: d/db is 0 where the base is <= 0 (not NaN)', () => {
    const a = tensor([-2, 0, 2], { dtype: 'float64' });
    const b = tensor([2, 2, 2], { dtype: 'float64', requiresGrad: true });
    a.pow(b).sum().backward();
    expect(vals(b.grad!)).toEqual([0, 0, 4 * Math.log(2)]);
  });
  it('broadcast gradients sum back to the input shape', () => {
    const a = tensor([[1], [2], [3]], { requiresGrad: true });
    const b = tensor([10, 20], { requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(vals(a.grad!)).toEqual([30, 30, 30]);
    expect(vals(b.grad!)).toEqual([6, 6]);
  });
  it('rejects shapes that do not broadcast and mixed dtypes, naming the op', () => {
    expect(() => tensor([1, 2, 3]).add(tensor([1, 2]))).toThrow('add: shapes [3] and [2] cannot be broadcast together');
    expect(() => tensor([1, 2]).mul(tensor([1, 2], { dtype: 'float64' }))).toThrow(
      /mul: dtype mismatch: a is float32 \[2\], b is float64 \[2\]/,
    );
  });
});

describe('unary ops: gradients against finite differences', () => {
  const cases: { name: string; fn: (x: Tensor) => Tensor; values?: ValueOptions }[] = [
    { name: 'neg', fn: dp.neg },
    { name: 'exp', fn: dp.exp },
    { name: 'log', fn: dp.log, values: { lo: 0.2, hi: 3 } },
    { name: 'sqrt', fn: dp.sqrt, values: { lo: 0.2, hi: 3 } },
    { name: 'abs (away from 0)', fn: dp.abs, values: { awayFrom: [0] } },
    { name: 'relu (away from 0)', fn: dp.relu, values: { awayFrom: [0] } },
    { name: 'leakyRelu (away from 0)', fn: (x) => dp.leakyRelu(x, 0.2), values: { awayFrom: [0] } },
    { name: 'leakyRelu, default slope (away from 0)', fn: (x) => x.leakyRelu(), values: { awayFrom: [0] } },
    { name: 'sigmoid', fn: dp.sigmoid, values: { lo: -6, hi: 6 } },
    { name: 'tanh', fn: dp.tanh },
    { name: 'floor (away from integers)', fn: dp.floor, values: { awayFrom: [-2, -1, 0, 1, 2] } },
    { name: 'round (away from halves)', fn: dp.round, values: { awayFrom: [-1.5, -0.5, 0.5, 1.5] } },
    { name: 'clamp (away from the bounds)', fn: (x) => dp.clamp(x, -0.5, 1), values: { awayFrom: [-0.5, 1] } },
    { name: 'clamp with one open side', fn: (x) => dp.clamp(x, null, 0.3), values: { awayFrom: [0.3] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      fc.assert(
        fc.property(arbShape({ maxDims: 3 }), arbSeed(), (shape, seed) =>
          expectGradOk(c.fn, [tensorFor(shape, seed, c.values)]),
        ),
        { numRuns: RUNS.cheap },
      );
    });
  }
});

describe('unary ops: exact values and conventions', () => {
  it('computes the textbook values', () => {
    const x = tensor([-1.5, -0.5, 0, 0.5, 2.5], { dtype: 'float64' });
    expect(vals(x.neg())).toEqual([1.5, 0.5, -0, -0.5, -2.5]);
    expect(vals(x.abs())).toEqual([1.5, 0.5, 0, 0.5, 2.5]);
    expect(vals(x.relu())).toEqual([0, 0, 0, 0.5, 2.5]);
    expect(vals(x.floor())).toEqual([-2, -1, 0, 0, 2]);
    expect(vals(x.round())).toEqual([-1, 0, 0, 1, 3]); // halves round up
    expect(vals(x.clamp(-1, 1))).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(vals(tensor([0, 1], { dtype: 'float64' }).exp())).toEqual([1, Math.E]);
    expect(vals(tensor([1, Math.E], { dtype: 'float64' }).log())).toEqual([0, 1]);
    expect(vals(tensor([4, 9]).sqrt())).toEqual([2, 3]);
    expect(vals(tensor([0], { dtype: 'float64' }).sigmoid())).toEqual([0.5]);
    expect(vals(tensor([0]).tanh())).toEqual([0]);
  });
  it('leakyRelu: PyTorch values; the gradient at 0 is the slope (leaky_relu_backward: x > 0 ? dy : dy * slope)', () => {
    const x = tensor([-2, 0, 0.5, 3], { dtype: 'float64', requiresGrad: true });
    expect(vals(x.leakyRelu(0.1))).toEqual([-0.2, 0, 0.5, 3]);
    expect(vals(dp.leakyRelu(x))).toEqual([-0.02, 0, 0.5, 3]);
    x.leakyRelu(0.1).sum().backward();
    expect(vals(x.grad!)).toEqual([0.1, 0.1, 1, 1]);
    expect(() => dp.leakyRelu(x, Number.NaN)).toThrow('leakyRelu: negativeSlope must be a finite number, got NaN');
  });
  it('sigmoid does not overflow in either tail', () => {
    expect(vals(tensor([-1000, 1000], { dtype: 'float64' }).sigmoid())).toEqual([0, 1]);
  });
  it('relu and abs have gradient 0 at 0; clamp passes it at its bounds', () => {
    const x = tensor([0, 0, -1, 1], { dtype: 'float64', requiresGrad: true });
    x.relu().add(x.abs()).sum().backward();
    expect(vals(x.grad!)).toEqual([0, 0, -1, 2]);
    const y = tensor([-1, 1, 2], { requiresGrad: true });
    y.clamp(-1, 1).sum().backward();
    expect(vals(y.grad!)).toEqual([1, 1, 0]);
  });
  it('cast converts values and the gradient back', () => {
    const x = tensor([1.1, 2.2], { dtype: 'float64', requiresGrad: true });
    const y = x.to('float32');
    expect(y.dtype).toBe('float32');
    expect(vals(y)).toEqual([Math.fround(1.1), Math.fround(2.2)]);
    y.mul(tensor([3, 4]))
      .sum()
      .backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(vals(x.grad!)).toEqual([3, 4]);
  });
  it('clamp rejects inverted bounds', () => {
    expect(() => tensor([1]).clamp(2, 1)).toThrow('clamp: invalid bounds min=2, max=1');
  });
});

describe('operand types', () => {
  it('names the op when an operand is neither a Tensor nor a number', () => {
    expect(() => tensor([1]).add('2' as never)).toThrow('add: expected a Tensor or a number, got string');
    expect(() => dp.mul(2 as never, 3 as never)).toThrow('mul: at least one operand must be a Tensor');
  });
});
