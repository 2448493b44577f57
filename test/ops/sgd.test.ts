/**
 * The fused SGD update (src/ops/optim): the reference kernel equals, bit for bit, the chain of
 * elementwise tensor ops that SGD.update ran before it (float32 and float64, every combination
 * of weight decay, momentum, dampening, Nesterov, with and without a buffer, NaN and +-Inf
 * mixed in); SGD trained for a few steps gives the same parameters and buffers as that chain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  getBackend,
  SGD,
  sgdUpdate,
  tensor,
  trainStep,
  type ParamGroup,
  type SgdAttrs,
  type Tensor,
} from '../../src/index.js';
import { FC_SEED, RUNS } from '../support/config.js';
import { tinyBatch, tinyVgg } from '../nn/support.js';
import { arbSgdCase, sgdOperands } from '../support/kernels.js';

/** SGD.update as it was: one tensor op per term (the oracle). */
function composed(
  p: Tensor,
  grad: Tensor,
  buf: Tensor | null,
  a: SgdAttrs,
): { param: Tensor; momentum: Tensor | null } {
  let g = a.weightDecay ? grad.add(p.mul(a.weightDecay)) : grad;
  let momentum: Tensor | null = null;
  if (a.momentum) {
    momentum = buf ? buf.mul(a.momentum).add(g.mul(1 - a.dampening)) : g;
    g = a.nesterov ? g.add(momentum.mul(a.momentum)) : momentum;
  }
  return { param: p.sub(g.mul(a.lr)), momentum };
}

/** The SGD of before the fused kernel. */
class ComposedSGD extends SGD {
  protected override update(p: Tensor, grad: Tensor, state: Record<string, Tensor>, group: ParamGroup): Tensor {
    const r = composed(p, grad, state.momentum ?? null, {
      lr: group.lr,
      weightDecay: group.weightDecay,
      momentum: group.momentum ?? this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
    });
    if (r.momentum) state.momentum = r.momentum;
    return r.param;
  }
}

const bits = (t: Tensor): number[] => Array.from(t.data());

describe('sgdUpdate (fused SGD kernel)', () => {
  it('equals the composition of tensor ops bit for bit (float32 and float64, NaN and +-Inf mixed in)', () => {
    fc.assert(
      fc.property(fc.constantFrom('float32' as const, 'float64' as const), arbSgdCase(), (dtype, c) => {
        const t = (v: Float64Array) => tensor(v, { dtype });
        const values = sgdOperands(c);
        const p = t(values.p),
          grad = t(values.grad),
          buf = values.buf && t(values.buf);
        const attrs = c.attrs;
        const got = sgdUpdate(p, grad, buf, attrs),
          want = composed(p, grad, buf, attrs);
        expect(got.param.dtype).toBe(dtype);
        expect(got.param.shape).toEqual(p.shape);
        expect(bits(got.param)).toEqual(bits(want.param));
        if (want.momentum === null) expect(got.momentum).toBeNull();
        else expect(bits(got.momentum!)).toEqual(bits(want.momentum));
        return true;
      }),
      { seed: FC_SEED, numRuns: RUNS.cheap * 2 },
    );
  });

  it('keeps the shape, ignores a buffer when momentum is 0, and checks its operands', () => {
    const p = tensor([1, 2, 3, 4], { shape: [2, 2] }),
      grad = tensor([1, 1, 1, 1], { shape: [2, 2] });
    const r = sgdUpdate(p, grad, tensor([5, 5, 5, 5], { shape: [2, 2] }), {
      lr: 0.5,
      weightDecay: 0,
      momentum: 0,
      dampening: 0,
      nesterov: false,
    });
    expect(r.param.shape).toEqual([2, 2]);
    expect(bits(r.param)).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(r.momentum).toBeNull();
    const attrs = { lr: 1, weightDecay: 0, momentum: 0.9, dampening: 0, nesterov: false };
    expect(() => sgdUpdate(p, tensor([1, 2, 3, 4]), null, attrs)).toThrow(
      'sgdUpdate: grad has shape [4], p has [2, 2]',
    );
    expect(() => sgdUpdate(p, grad.to('float64'), null, attrs)).toThrow('sgdUpdate: dtype mismatch');
    expect(() => sgdUpdate(p, grad, tensor([1]), attrs)).toThrow('sgdUpdate: buf has shape [1], p has [2, 2]');
  });

  it('is not recorded for autograd', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const r = sgdUpdate(p, tensor([1, 1]), null, {
      lr: 1,
      weightDecay: 0.1,
      momentum: 0.9,
      dampening: 0,
      nesterov: true,
    });
    expect(r.param.requiresGrad).toBe(false);
    expect(r.momentum!.requiresGrad).toBe(false);
  });
});

describe('SGD with the fused kernel', () => {
  for (const dtype of ['float32', 'float64'] as const)
    it(`trains a tiny VGG to the same parameters and buffers as the tensor-op SGD (${dtype}, ${getBackend().name})`, () => {
      const models = [tinyVgg(true, dtype), tinyVgg(true, dtype)];
      const opts = models.map((model, i) => {
        const alphas = model
          .namedParameters()
          .filter(([k]) => k.endsWith('alpha'))
          .map(([, p]) => p);
        const weights = model.parameters().filter((p) => !alphas.includes(p));
        const [head, ...rest] = weights;
        // groups: the defaults (Nesterov, decay), a momentum override with dampening-free
        // heavy ball, and alpha without momentum or decay
        const groups = [
          { params: rest },
          { params: [head], lr: 0.03, momentum: 0.5, weightDecay: 0.01 },
          { params: alphas, lr: 0.002, momentum: 0, weightDecay: 0 },
        ];
        const o = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
        return i === 0 ? new SGD(groups, o) : new ComposedSGD(groups, o);
      });
      for (let step = 0; step < 4; step++) {
        const batch = tinyBatch(dtype, 3 + step, 4);
        for (let i = 0; i < 2; i++) trainStep(models[i], opts[i], batch, { lambda: 0.01 });
      }
      const [a, b] = models.map((m) => m.parameters());
      a.forEach((p, i) => expect(bits(p), `parameter ${i}`).toEqual(bits(b[i])));
      const [sa, sb] = opts.map((o) => o.stateDict().buffers);
      expect(Object.keys(sa).sort()).toEqual(Object.keys(sb).sort());
      expect(Object.keys(sa).length).toBeGreaterThan(0);
      for (const k of Object.keys(sa)) expect(bits(sa[k]), k).toEqual(bits(sb[k]));
    });

  it('with dampening and without Nesterov too, and a plain SGD (no momentum)', () => {
    for (const o of [
      { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 1e-3 },
      { lr: 0.1 },
      { lr: 0.07, weightDecay: 0.02 },
    ]) {
      const models = [tinyVgg(false, 'float32'), tinyVgg(false, 'float32')];
      const opts = [new SGD(models[0].parameters(), o), new ComposedSGD(models[1].parameters(), o)];
      for (let step = 0; step < 3; step++) {
        const batch = tinyBatch('float32', 5 + step, 3);
        for (let i = 0; i < 2; i++) trainStep(models[i], opts[i], batch);
      }
      const [a, b] = models.map((m) => m.parameters());
      a.forEach((p, i) => expect(bits(p), `${JSON.stringify(o)}: parameter ${i}`).toEqual(bits(b[i])));
    }
  });
});
