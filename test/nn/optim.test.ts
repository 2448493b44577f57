import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  Generator,
  LRScheduler,
  SGD,
  scheduleFactor,
  tensor,
  trainStep,
  type Tensor,
} from '../../src/index.js';
import { vals } from '../support/values.js';
import { tinyBatch, tinyVgg } from './support.js';

const param = (v: number[]) => tensor(v, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, g: number[]) => {
  p.grad = tensor(g, { dtype: 'float64' });
};

describe('SGD (PyTorch semantics)', () => {
  it('plain, weight decay, momentum and Nesterov updates by hand', () => {
    const p = param([1, -2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    setGrad(p, [0.5, 0.5]);
    opt.step(); // g = grad + 0.01 p = [0.51, 0.48]; buf = g; g' = g + 0.9 buf = 1.9 g
    expect(vals(p)[0]).toBeCloseTo(1 - 0.1 * 1.9 * 0.51, 14);
    expect(vals(p)[1]).toBeCloseTo(-2 - 0.1 * 1.9 * 0.48, 14);
    const p1 = vals(p)[0];
    setGrad(p, [0.5, 0.5]);
    opt.step(); // buf = 0.9 * 0.51 + g2; g' = g2 + 0.9 buf
    const g2 = 0.5 + 0.01 * p1,
      buf = 0.9 * 0.51 + g2;
    expect(vals(p)[0]).toBeCloseTo(p1 - 0.1 * (g2 + 0.9 * buf), 14);
  });
  it('parameter groups have their own lr and weight decay; parameters without grad are skipped', () => {
    const w = param([1]),
      alpha = param([2]),
      idle = param([5]);
    const opt = new SGD(
      [
        { params: [w], name: 'weights' },
        { params: [alpha, idle], name: 'alpha', lr: 0.01, weightDecay: 0 },
      ],
      { lr: 1, weightDecay: 0.5 },
    );
    setGrad(w, [1]);
    setGrad(alpha, [1]);
    opt.step();
    expect(vals(w)).toEqual([1 - (1 + 0.5)]);
    expect(vals(alpha)).toEqual([2 - 0.01]);
    expect(vals(idle)).toEqual([5]);
    expect(() => new SGD([w, w], { lr: 1 })).toThrow('SGD: a parameter [1] appears in more than one group');
    expect(() => new SGD([tensor([1])], { lr: 1 })).toThrow('SGD: parameter [1] in group 0 does not require grad');
    expect(() => new SGD([w], { lr: -1 })).toThrow('SGD: invalid learning rate -1 for group 0');
  });
});

describe('Adam and AdamW', () => {
  it('first steps match the formula (bias-corrected moments; L2 vs decoupled decay)', () => {
    const a = param([1]),
      b = param([1]);
    const adam = new Adam([a], { lr: 0.1, weightDecay: 0.1 });
    const adamw = new AdamW([b], { lr: 0.1, weightDecay: 0.1 });
    setGrad(a, [0.3]);
    setGrad(b, [0.3]);
    adam.step();
    adamw.step();
    // Adam: g = 0.3 + 0.1 * 1 = 0.4; mhat = 0.4, vhat = 0.16 -> step = 0.1 * 0.4 / (0.4 + 1e-8)
    expect(vals(a)[0]).toBeCloseTo(1 - (0.1 * 0.4) / (0.4 + 1e-8), 12);
    // AdamW: p = 1 * (1 - 0.01) - 0.1 * 0.3 / (0.3 + 1e-8)
    expect(vals(b)[0]).toBeCloseTo(0.99 - (0.1 * 0.3) / (0.3 + 1e-8), 12);
  });
});

describe('schedules', () => {
  it('cosine with warmup, and step decay', () => {
    const spec = { kind: 'cosine', total: 10, warmup: 2 } as const;
    expect([0, 1, 2, 7, 12].map((t) => scheduleFactor(spec, t))).toEqual([
      1 / 3,
      2 / 3,
      1,
      0.5 * (1 + Math.cos((Math.PI * 5) / 8)),
      0,
    ]);
    expect([0, 2, 3, 7].map((t) => scheduleFactor({ kind: 'step', stepSize: 3, gamma: 0.5 }, t))).toEqual([
      1, 1, 0.5, 0.25,
    ]);
    const p = param([1]);
    const opt = new SGD([{ params: [p], lr: 0.2 }], { lr: 1 });
    const sched = new LRScheduler(opt, { kind: 'step', stepSize: 1, gamma: 0.5 });
    sched.step();
    expect(opt.groups[0].lr).toBe(0.1);
  });
});

describe('training', () => {
  it('a few SGD steps on a tiny batch drive the loss down (human and DynOPool models)', () => {
    for (const dynopool of [false, true]) {
      const model = tinyVgg(dynopool, 'float32');
      const { x, labels } = tinyBatch('float32', 3, 6);
      const alphas = model
        .namedParameters()
        .filter(([k]) => k.endsWith('alpha'))
        .map(([, p]) => p);
      const weights = model.parameters().filter((p) => !alphas.includes(p));
      const opt = new SGD([{ params: weights }, { params: alphas, lr: 0.002 }], { lr: 0.1, momentum: 0.9 });
      const losses: number[] = [];
      for (let i = 0; i < 40; i++) losses.push(trainStep(model, opt, { x, labels }).loss);
      expect(losses[39]).toBeLessThan(losses[0] * 0.5);
    }
  });
});

describe('parameter-group constraints (how alpha is trained)', () => {
  it('warmupSteps: the group is untouched (no momentum either) for its first steps, then starts afresh', () => {
    const warm = param([1, 2]),
      fresh = param([1, 2]);
    const a = new SGD([{ params: [warm], warmupSteps: 2 }], { lr: 0.1, momentum: 0.9 });
    const b = new SGD([{ params: [fresh] }], { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 2; i++) {
      setGrad(warm, [1, -1]);
      a.step();
    }
    expect(vals(warm)).toEqual([1, 2]);
    for (let i = 0; i < 2; i++) {
      setGrad(warm, [0.5, 0.25]);
      a.step();
      setGrad(fresh, [0.5, 0.25]);
      b.step();
    }
    expect(vals(warm)).toEqual(vals(fresh));
    expect(a.steps).toBe(4);
  });
  it('clipGrad clips each gradient element before the update and leaves .grad as it was', () => {
    const p = param([0, 0, 0]);
    const opt = new SGD([{ params: [p], clipGrad: 2 }], { lr: 1 });
    setGrad(p, [5, -0.5, -3]);
    opt.step();
    expect(vals(p)).toEqual([-2, 0.5, 2]);
    expect(vals(p.grad!)).toEqual([5, -0.5, -3]);
  });
  it('project clamps every parameter of the group into [lo, hi] after each step, warmup included', () => {
    const p = param([0.3, 15]),
      idle = param([20]);
    const opt = new SGD([{ params: [p, idle], project: [0.25, 16], warmupSteps: 1 }], { lr: 1 });
    opt.step(); // warmup: no update, but idle (out of the box, no gradient) is projected
    expect(vals(idle)).toEqual([16]);
    setGrad(p, [1, -2]);
    opt.step();
    expect(vals(p)).toEqual([0.25, 16]);
  });
  it('rejects bad options with the group named', () => {
    const p = param([1]);
    expect(() => new SGD([{ params: [p], name: 'alpha', warmupSteps: 1.5 }], { lr: 1 })).toThrow(
      'SGD: warmupSteps must be a non-negative integer, got 1.5 for group alpha',
    );
    expect(() => new SGD([{ params: [p], name: 'alpha', clipGrad: -1 }], { lr: 1 })).toThrow(
      'SGD: invalid clipGrad -1 for group alpha',
    );
    expect(() => new SGD([{ params: [p], name: 'alpha', project: [2, 1] }], { lr: 1 })).toThrow(
      'SGD: project [2, 1] for group alpha is not a box [lo, hi] with lo <= hi',
    );
  });
  it("reproduce, bit for bit, the trainer's former inline alpha handling (warmup by epoch, clip, clamp)", () => {
    // the code that trainer.ts ran around optimizer.step() before these options existed
    const batches = 3,
      warmupEpochs = 1,
      clip = 2,
      box = [0.25, 16] as const;
    const g = new Generator(4);
    const grads = Array.from({ length: 4 * batches }, () => [g.normal() * 3, g.normal() * 3]);
    const inline = tensor([2, 2], { requiresGrad: true }),
      grouped = tensor([2, 2], { requiresGrad: true });
    const a = new SGD([{ params: [inline], lr: 0.3, weightDecay: 0, momentum: 0.9 }], {
      lr: 0.05,
      momentum: 0.9,
      nesterov: true,
    });
    const b = new SGD(
      [
        {
          params: [grouped],
          lr: 0.3,
          weightDecay: 0,
          momentum: 0.9,
          warmupSteps: warmupEpochs * batches,
          clipGrad: clip,
          project: box,
        },
      ],
      { lr: 0.05, momentum: 0.9, nesterov: true },
    );
    grads.forEach((gr, i) => {
      const epoch = Math.floor(i / batches);
      inline.grad = tensor(gr);
      if (epoch < warmupEpochs) inline.grad = null;
      else inline.grad = inline.grad.clamp(-clip, clip);
      a.step();
      inline.assign(inline.detach().clamp(box[0], box[1]));
      grouped.grad = tensor(gr);
      b.step();
      expect(vals(grouped)).toEqual(vals(inline));
    });
    expect(vals(grouped)).not.toEqual([2, 2]);
  });
});
