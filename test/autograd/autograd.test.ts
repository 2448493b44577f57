import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  customVjp,
  defineOp,
  gradcheck,
  gradcheckParams,
  record,
  noGrad,
  ones,
  round,
  roundSurrogate,
  clampSurrogate,
  SGD,
  stopGradient,
  tensor,
  zerosLike,
  type Tensor,
} from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { arbSeed, arbShape, tensorFor, expectGradOk } from '../../src/testing/index.js';
import { vals } from '../support/values.js';

describe('autograd engine', () => {
  it('accumulates the gradient of a tensor used several times', () => {
    const x = tensor([3], { requiresGrad: true });
    x.mul(x).add(x).backward(); // d/dx (x^2 + x) = 2x + 1
    expect(vals(x.grad!)).toEqual([7]);
  });
  it('accumulates into .grad across backward calls, like PyTorch', () => {
    const x = tensor([2], { requiresGrad: true });
    x.mul(3).backward();
    x.mul(3).backward();
    expect(vals(x.grad!)).toEqual([6]);
  });
  it('walks a 100 000-op chain without recursion', () => {
    const x = tensor([1], { dtype: 'float64', requiresGrad: true });
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1e-5);
    y.backward();
    expect(vals(x.grad!)).toEqual([1]);
  });
  it('handles diamonds: each path contributes once', () => {
    const x = tensor([1.5], { dtype: 'float64', requiresGrad: true });
    const a = x.mul(2),
      b = x.exp();
    a.mul(b).add(a).backward(); // d/dx (2x e^x + 2x) = 2e^x + 2x e^x + 2
    expect(x.grad!.item()).toBeCloseTo(2 * Math.exp(1.5) + 3 * Math.exp(1.5) + 2, 12);
  });
  it('only leaves get .grad; intermediate tensors do not', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expect(y.isLeaf).toBe(false);
    expect(vals(x.grad!)).toEqual([2, 2]);
  });
  it('noGrad records nothing; detach cuts the graph', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    const z = x.mul(2).detach();
    expect(z.requiresGrad).toBe(false);
    expect(() => z.backward()).toThrow('backward: tensor does not require grad');
  });
  it('refuses backward of a non-scalar without a cotangent, and a cotangent of the wrong shape', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(
      'backward: tensor of shape [2] is not a scalar; pass the cotangent explicitly',
    );
    expect(() => x.mul(2).backward(ones([3]))).toThrow('backward: gradient is float32 [3], expected float32 [2]');
    x.mul(2).backward(tensor([1, 10]));
    expect(vals(x.grad!)).toEqual([2, 20]);
  });
});

describe('stale gradients: assign() between forward and backward (issue 13.7)', () => {
  const stale = (op: string, what: string, version: number, expected: number) =>
    `backward: an input of '${op}' (${what}) was modified by assign() after the forward (version ${version}, expected ${expected}); compute the forward again after changing it`;
  it('assign bumps a per-tensor version; .grad, zeroGrad and requiresGrad do not', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    expect(x.version).toBe(0);
    x.assign(tensor([4, 5, 6]));
    expect(x.version).toBe(1);
    x.grad = tensor([1, 1, 1]);
    x.grad = null;
    new SGD([{ params: [x] }], { lr: 0.1 }).zeroGrad();
    x.requiresGrad = true;
    expect(x.version).toBe(1);
    expect(x.detach().version).toBe(0); // a detached view is a new tensor (its storage never changes)
  });
  it('refuses backward after an input of the graph was assigned, naming the op, the tensor and the versions', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).sum();
    x.assign(tensor([4, 5, 6]));
    expect(() => y.backward()).toThrow(stale('mul', 'a float32 tensor of shape [3]', 1, 0));
    expect(x.grad).toBeNull();
  });
  it("also when the assigned input does not require grad (its value is in the other input's gradient)", () => {
    const x = tensor([1, 2], { requiresGrad: true }),
      w = tensor([3, 4]);
    const y = x.mul(w).sum();
    w.assign(tensor([5, 6]));
    w.assign(tensor([7, 8]));
    expect(() => y.backward()).toThrow(stale('mul', 'a float32 tensor of shape [2]', 2, 0));
  });
  it('customVjp and defineOp nodes are checked too', () => {
    const ident = customVjp(
      (x: Tensor) => x,
      (dy) => [dy],
      'myIdentity',
    );
    const x = tensor([1, 2], { requiresGrad: true, dtype: 'float64' });
    const y = ident(x).sum();
    x.assign(tensor([0, 0], { dtype: 'float64' }));
    expect(() => y.backward()).toThrow(stale('myIdentity', 'a float64 tensor of shape [2]', 1, 0));
    const twice = defineOp({
      name: 'twice',
      inputs: ['x'],
      forward: ({ x: v }) => ({ output: v.add(v), saved: null }),
      grads: { x: (dy) => dy.mul(2) },
    });
    const z = twice({ x }, {}).sum();
    x.assign(tensor([1, 1], { dtype: 'float64' }));
    expect(() => z.backward()).toThrow(stale('twice', 'a float64 tensor of shape [2]', 2, 1));
  });
  it('a graph reused after an assign is refused; one built after it is fine', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = x.mul(x);
    y.backward();
    x.assign(tensor([3]));
    expect(() => y.backward()).toThrow(stale('mul', 'a float32 tensor of shape [1]', 1, 0));
    x.grad = null;
    x.mul(x).backward();
    expect(vals(x.grad!)).toEqual([6]);
  });
  it('the training loop (zeroGrad, forward, backward, step) never trips it, nor does gradcheckParams', () => {
    const w = tensor([0.5, -0.3], { requiresGrad: true }),
      b = tensor([0.1], { requiresGrad: true });
    const opt = new SGD([{ params: [w, b] }], { lr: 0.1, momentum: 0.9 });
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const e = x.matmul(w.reshape([2, 1])).add(b);
      e.mul(e).sum().backward();
      opt.step();
    }
    expect(w.version).toBe(3);
    const p = tensor([0.2, 0.7], { requiresGrad: true, dtype: 'float64' });
    expect(() => gradcheckParams(() => p.mul(p).sum(), [p])).not.toThrow();
  });
});

describe('stopGradient and the rounding surrogate (DynOPool building blocks)', () => {
  it('stopGradient is the identity forward with a zero gradient', () => {
    const x = tensor([1.5, -2], { requiresGrad: true });
    const y = stopGradient(x);
    expect(vals(y)).toEqual([1.5, -2]);
    y.mul(x).sum().backward(); // d/dx (sg(x) * x) = sg(x)
    expect(vals(x.grad!)).toEqual([1.5, -2]);
    const z = tensor([3], { requiresGrad: true });
    stopGradient(z).mul(5).backward();
    expect(vals(z.grad!)).toEqual([0]);
  });
  it('roundSurrogate: value exactly round(x), gradient that of round(x) + x - sg(x) (identity)', () => {
    fc.assert(
      fc.property(arbShape({ maxDims: 2 }), arbSeed(), (shape, seed) => {
        const x0 = tensorFor(shape, seed, { lo: -40, hi: 40, awayFrom: [], margin: 0 });
        const v = tensorFor(shape, seed + 1);
        const a = x0.detach();
        a.requiresGrad = true;
        const b = x0.detach();
        b.requiresGrad = true;
        const ya = roundSurrogate(a);
        const yb = round(b).add(b).sub(stopGradient(b));
        ya.mul(v).sum().backward();
        yb.mul(v).sum().backward();
        expect(vals(a.grad!)).toEqual(vals(b.grad!));
        expect(vals(a.grad!)).toEqual(vals(v));
        expect(vals(ya)).toEqual(vals(x0).map((t) => Math.floor(t + 0.5)));
        expect(vals(ya).every(Number.isInteger)).toBe(true);
        return true;
      }),
      { numRuns: RUNS.cheap },
    );
  });
  it('the literal composition is not exactly integral where the op is (why the op exists)', () => {
    // s = H / alpha with H = 32, alpha = 32 / 16.7: round(s) + s - sg(s) can miss 17 by an ulp
    let found = false;
    for (let i = 1; i < 2000 && !found; i++) {
      const s = tensor([17 + i / 2003], { dtype: 'float64' })
        .mul(1.1)
        .div(1.1);
      const literal = round(s).add(s).sub(stopGradient(s)).item();
      if (!Number.isInteger(literal)) found = true;
      expect(Number.isInteger(roundSurrogate(s).item())).toBe(true);
    }
    expect(found).toBe(true);
  });
  it('clampSurrogate clamps forward and passes the gradient at and beyond the bound', () => {
    const x = tensor([0.5, 1.5, 3], { requiresGrad: true });
    const y = clampSurrogate(x, 1.5);
    expect(vals(y)).toEqual([1.5, 1.5, 3]);
    y.mul(tensor([1, 2, 3]))
      .sum()
      .backward();
    expect(vals(x.grad!)).toEqual([1, 2, 3]);
  });
});

describe('user-defined ops', () => {
  it('defineOp: a custom op with its own backward passes gradcheck', () => {
    const cube = defineOp({
      name: 'cube',
      inputs: ['x'],
      forward: ({ x }) => ({ output: x.mul(x).mul(x), saved: null }),
      grads: { x: (dy, { inputs }) => dy.mul(inputs.x.mul(inputs.x).mul(3)) },
    });
    expect(() => gradcheck((x) => cube({ x }, {}), [tensor([0.3, -1.2, 2], { dtype: 'float64' })])).not.toThrow();
  });
  it('defineOp with a joint backward: every gradient from one call, run once per backward pass', () => {
    let calls = 0;
    const mulAdd = defineOp({
      name: 'mulAdd',
      inputs: ['a', 'b'],
      forward: ({ a, b }) => ({ output: a.mul(b).add(a), saved: null }),
      backward: (dy, { inputs: { a, b } }) => {
        calls++;
        return { a: dy.mul(b.add(1)), b: dy.mul(a) };
      },
    });
    const a = tensor([0.3, -1.1], { dtype: 'float64' }),
      b = tensor([2.5, 0.7], { dtype: 'float64' });
    expect(() => gradcheck((x, y) => mulAdd({ a: x, b: y }, {}), [a, b])).not.toThrow();
    calls = 0;
    const x = tensor([1, 2], { requiresGrad: true }),
      y = tensor([3, 4], { requiresGrad: true });
    mulAdd({ a: x, b: y }, {}).sum().backward();
    expect(calls).toBe(1);
    expect(vals(x.grad!)).toEqual([4, 5]);
    expect(vals(y.grad!)).toEqual([1, 2]);
  });
  it('customVjp: JAX-style straight-through clipping', () => {
    const clipGrad = customVjp(
      (x: Tensor) => x,
      (dy) => [dy.clamp(-1, 1)],
    );
    const x = tensor([1, 2], { requiresGrad: true });
    clipGrad(x)
      .mul(tensor([0.5, 7]))
      .sum()
      .backward();
    expect(vals(x.grad!)).toEqual([0.5, 1]);
  });
  it('a forward that is not recorded: the op owns its graph node', () => {
    const twice = defineOp({
      name: 'twice',
      inputs: ['x'],
      forward: ({ x }) => ({ output: x.add(x), saved: null }),
      grads: { x: (dy) => dy.mul(2) },
    });
    const x = tensor([1], { requiresGrad: true });
    const y = twice({ x }, {});
    expect(y.node!.op).toBe('twice');
    expect(y.node!.inputs).toEqual([x]);
  });
  it('a backward that returns too few or too many cotangents is an error naming the op and the counts', () => {
    const a = tensor([1, 2], { requiresGrad: true }),
      b = tensor([3, 4], { requiresGrad: true });
    const short = record('short', [a, b], a.detach().add(b.detach()), (dy) => [dy]);
    expect(() => short.sum().backward()).toThrow('short: backward returned 1 cotangent(s) for 2 inputs');
    const long = record('long', [a], a.detach(), (dy) => [dy, dy]);
    expect(() => long.sum().backward()).toThrow('long: backward returned 2 cotangent(s) for 1 inputs');
  });
  it('a gradient function may return null for a zero gradient: no contribution', () => {
    const firstOnly = defineOp({
      name: 'firstOnly',
      inputs: ['a', 'b'],
      forward: ({ a, b }) => ({ output: a.add(b.mul(0)), saved: null }),
      grads: { a: (dy) => dy, b: () => null },
    });
    const a = tensor([1, 2], { requiresGrad: true }),
      b = tensor([3, 4], { requiresGrad: true });
    firstOnly({ a, b }, {}).add(b).sum().backward();
    expect(vals(a.grad!)).toEqual([1, 1]);
    expect(vals(b.grad!)).toEqual([1, 1]); // from the add alone
    const c = tensor([5], { requiresGrad: true });
    firstOnly({ a: tensor([1]), b: c }, {})
      .sum()
      .backward();
    expect(c.grad).toBeNull();
  });
  it('zero-gradient ops still return a gradient of the right shape', () => {
    const x = tensor([[1.2, 2.7]], { requiresGrad: true });
    round(x).sum().backward();
    expect(vals(x.grad!)).toEqual(vals(zerosLike(x)));
  });
});

describe('gradcheck itself', () => {
  const wrong = defineOp({
    name: 'wrongSquare',
    inputs: ['x'],
    forward: ({ x }) => ({ output: x.mul(x), saved: null }),
    grads: { x: (dy, { inputs }) => dy.mul(inputs.x).mul(2.001) }, // off by 0.05%
  });
  it('catches a slightly wrong gradient and reports input, element, analytic and numeric', () => {
    const x = tensor([0.5, 1.5, -2], { dtype: 'float64' });
    expect(() => gradcheck((t) => wrong({ x: t }, {}), [x])).toThrow(
      /gradcheck: 3 gradient mismatches .*\n {2}input 0 \[3\], element \d: analytic .*, numeric .*/,
    );
  });
  it('catches it along random directions for a big input too', () => {
    const x = tensorFor([20, 20], 3, { lo: 0.5, hi: 2 });
    expect(() => gradcheck((t) => wrong({ x: t }, {}), [x])).toThrow(/random direction/);
    const report = gradcheck((t) => t.mul(t), [x]);
    expect(report.inputs[0]).toMatchObject({ mode: 'directions', checked: 6 });
  });
  it('a gradient error that sum() would hide is caught by the random cotangent', () => {
    // swaps the gradients of two outputs: invisible to d sum(y), visible to <y, v>
    const swapped = customVjp(
      (x: Tensor) => x.mul(tensor([1, 2], { dtype: 'float64' })),
      (dy) => [concat([dy.slice([1], [2]), dy.slice([0], [1]).mul(2)])], // right would be [dy0, 2 dy1]
    );
    const x = tensor([1, 1], { dtype: 'float64' });
    expect(() => gradcheck((t) => swapped(t).sum(), [x])).not.toThrow();
    expect(() => gradcheck((t) => swapped(t), [x])).toThrow(/gradcheck/);
  });
  it('refuses float32 inputs', () => {
    expect(() => gradcheck((t) => t, [tensor([1])])).toThrow(
      'gradcheck: input 0 is float32 [1]; finite differences need float64',
    );
  });
  it('checks every element of each small input', () => {
    expect(expectGradOk((a, b) => a.mul(b), [tensorFor([2, 3], 1), tensorFor([3], 2)])).toBe(true);
    const r = gradcheck((a, b) => a.mul(b), [tensorFor([2, 3], 1), tensorFor([3], 2)]);
    expect(r.inputs.map((i) => i.checked)).toEqual([6, 3]);
  });
});
