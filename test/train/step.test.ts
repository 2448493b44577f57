import { describe, expect, it } from 'vitest';
import { DynOPool, SGD, countMacs, crossEntropy, gmacsLoss, trainStep, type ImageClassifier } from '../../src/index.js';
import { vals } from '../support/values.js';
import { tinyBatch, tinyVgg } from '../nn/support.js';

function setup(): { model: ImageClassifier; opt: SGD; alphas: DynOPool[] } {
  const model = tinyVgg(true);
  const alphas = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
  const weights = model.parameters().filter((p) => !alphas.some((a) => a.alpha === p));
  const opt = new SGD(
    [
      { params: weights },
      { params: alphas.map((a) => a.alpha), lr: 0.05, weightDecay: 0, clipGrad: 2, project: [0.25, 16] },
    ],
    { lr: 0.1, momentum: 0.9 },
  );
  return { model, opt, alphas };
}

describe('trainStep', () => {
  it('is forward + (CE + lambda * GMACs) + backward + step, bit for bit, and reports the step', () => {
    const a = setup(),
      b = setup();
    const { x, labels } = tinyBatch('float64', 3, 5);
    const gmacs = countMacs(a.model, [1, 8, 8]).gmacs;
    const r = trainStep(a.model, a.opt, { x, labels }, { lambda: 300 });
    // by hand
    b.opt.zeroGrad();
    const out = b.model.forwardWithCost(x);
    const task = crossEntropy(out.logits, labels);
    const loss = task.add(gmacsLoss(b.model, out).mul(300));
    loss.backward();
    b.opt.step();
    expect(a.model.parameters().map(vals)).toEqual(b.model.parameters().map(vals));
    expect(r.loss).toBe(loss.item());
    expect(r.taskLoss).toBe(task.item());
    expect(r.gmacs).toBeCloseTo(gmacs, 15);
    expect(r.count).toBe(5);
    const logits = vals(out.logits);
    expect(r.correct).toBe(
      labels.filter((l, i) => logits.slice(3 * i, 3 * i + 3).indexOf(Math.max(...logits.slice(3 * i, 3 * i + 3))) === l)
        .length,
    );
    expect(a.alphas.every((p) => vals(p.alpha).some((v) => v !== 2))).toBe(true);
  });
  it('lambda 0 trains on the task loss alone; accuracy: false skips the count', () => {
    const { model, opt } = setup();
    const { x, labels } = tinyBatch();
    const r = trainStep(model, opt, { x, labels }, { accuracy: false });
    expect(r.loss).toBe(r.taskLoss);
    expect(r.correct).toBeNull();
    expect(() => trainStep(model, opt, { x, labels }, { lambda: -1 })).toThrow(
      'trainStep: lambda must be >= 0, got -1',
    );
  });
  it("a MAC count right before a step changes nothing (the loss reads this step's own forward)", () => {
    const a = setup(),
      b = setup();
    const { x, labels } = tinyBatch();
    for (const s of [a, b]) s.alphas[0].alpha.assign(s.alphas[0].alpha.detach().mul(0.8));
    countMacs(a.model, [1, 8, 8]);
    trainStep(a.model, a.opt, { x, labels }, { lambda: 300 });
    trainStep(b.model, b.opt, { x, labels }, { lambda: 300 });
    expect(a.alphas.map((p) => vals(p.alpha))).toEqual(b.alphas.map((p) => vals(p.alpha)));
  });
});
