import { describe, expect, it } from 'vitest';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  DynOPool,
  Flatten,
  Generator,
  Linear,
  ReLU,
  Sequential,
  avgPool2d,
  countMacs,
  crossEntropy,
  dynoPoolStates,
  featureMap,
  gmacsLoss,
  gradcheck,
  gradcheckParams,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { freezeSizes } from '../../src/testing/index.js';
import { vals } from '../support/values.js';
import { tinyBatch, tinyVgg } from './support.js';

describe('Module', () => {
  const net = new Sequential(new Conv2d(1, 2, 3, { padding: 1, bias: true }), new BatchNorm2d(2), new ReLU());
  it('names parameters and buffers with dotted paths, like PyTorch', () => {
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['1.running_mean', '1.running_var']);
    expect(Object.keys(net.stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
    ]);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });
  it('train()/eval() reach every sub-module', () => {
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });
  it('loadStateDict is strict and lists every problem', () => {
    const sd = net.stateDict();
    const bad: Record<string, Tensor> = { ...sd, extra: tensor([1]), '1.weight': tensor([1, 2, 3]) };
    delete bad['0.bias'];
    expect(() => net.loadStateDict(bad)).toThrow(
      'loadStateDict: missing keys: 0.bias; unexpected keys: extra; shape/dtype mismatches: 1.weight: expected float32 [2], got float32 [3]',
    );
    const other = new Sequential(
      new Conv2d(1, 2, 3, { padding: 1, bias: true, generator: new Generator(9) }),
      new BatchNorm2d(2),
      new ReLU(),
    );
    other.loadStateDict(sd);
    expect(vals(other.namedParameters()[0][1])).toEqual(vals(sd['0.weight']));
  });
  it('a module used twice is listed once', () => {
    const shared = new DynOPool();
    const twice = new Sequential(shared, shared);
    expect(twice.parameters().length).toBe(1);
  });
});

describe('DynOPool layer', () => {
  it('starts at alpha = (2, 2) (r = 0.5) and reports its output size', () => {
    const pool = new DynOPool();
    expect(pool.r).toEqual([0.5, 0.5]);
    expect(pool.outputSize).toBeNull();
    const out = pool.forward(featureMap(tensor(new Float32Array(2 * 10 * 6), { shape: [1, 2, 10, 6] })));
    expect(pool.outputSize).toEqual([5, 3]);
    expect(out.x.shape).toEqual([1, 2, 5, 3]);
    expect(() => new DynOPool({ alpha: [2, -1] })).toThrow(
      'DynOPool: initial alpha must be finite and positive, got [2, -1]',
    );
  });
  it('stacked layers pass size tensors, so a later size depends on an earlier alpha', () => {
    const a = new DynOPool({ alpha: [1.5, 2] }),
      b = new DynOPool({ alpha: [1.25, 1.1] });
    const f = b.forward(a.forward(featureMap(tensor(new Float32Array(24 * 24), { shape: [1, 1, 24, 24] }))));
    expect(a.outputSize).toEqual([16, 12]);
    expect(b.outputSize).toEqual([13, 11]);
    f.size[0].backward();
    expect(a.alpha.grad!.data()[0]).toBeCloseTo(-24 / 1.5 ** 2 / 1.25, 5);
    expect(b.alpha.grad!.data()[0]).toBeCloseTo(-16 / 1.25 ** 2, 5);
  });
});

describe('whole-model gradients (float64, tiny VGG with two DynOPools)', () => {
  it('every parameter, alphas included, through task loss + lambda * GMACs loss', () => {
    const model = tinyVgg(true);
    const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
    pools[0].alpha.assign(tensor([1.7, 2.3], { dtype: 'float64' }));
    // alphas chosen so that no cell centre lands on a pixel centre: there, the two query points
    // of a cell are symmetric about a pixel and tie exactly when its neighbours are equal (ReLU
    // zeros), a kink of the max that finite differences cannot cross
    pools[1].alpha.assign(tensor([1.3, 1.9], { dtype: 'float64' }));
    const { x, labels } = tinyBatch();
    const loss = () => {
      const out = model.forwardWithCost(x);
      return crossEntropy(out.logits, labels).add(gmacsLoss(model, out).mul(300));
    };
    const unfreeze = freezeSizes(model, loss);
    expect(pools.map((p) => p.outputSize)).toEqual([
      [5, 3],
      [4, 2],
    ]);
    const report = gradcheckParams(loss, model.parameters(), { maxElements: 40 });
    expect(report.inputs.length).toBe(model.parameters().length);
    unfreeze();
    // the input gradient too
    expect(() => gradcheck((xx) => crossEntropy(model.forward(xx), labels), [x], { maxElements: 200 })).not.toThrow();
  });
  it('the frozen model is the same function at the base point', () => {
    const model = tinyVgg(true);
    const { x } = tinyBatch();
    const before = vals(model.forward(x));
    const unfreeze = freezeSizes(model, () => model.forward(x));
    expect(vals(model.forward(x))).toEqual(before);
    unfreeze();
  });
});

describe('DynOPool model vs the human-designed model', () => {
  it('at alpha = (2, 2) it computes the same logits as max pooling, bit for bit', () => {
    const human = tinyVgg(false, 'float32');
    const dyno = tinyVgg(true, 'float32', 77);
    const sd = human.stateDict();
    const alphas = Object.fromEntries(Object.entries(dyno.stateDict()).filter(([k]) => k.endsWith('alpha')));
    dyno.loadStateDict({ ...sd, ...alphas });
    const { x } = tinyBatch('float32');
    expect(vals(dyno.forward(x))).toEqual(vals(human.forward(x)));
  });
});

describe('complexity', () => {
  it('gmacsLoss equals an independent MAC count at the current sizes, and reaches every alpha', () => {
    const model = tinyVgg(true);
    const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
    const base = countMacs(model, [1, 8, 8]).gmacs;
    pools[0].alpha.assign(tensor([1.3, 2.9], { dtype: 'float64' }));
    pools[1].alpha.assign(tensor([0.8, 1.7], { dtype: 'float64' }));
    const count = countMacs(model, [1, 8, 8]);
    const { x } = tinyBatch('float64', 3, 1);
    const loss = gmacsLoss(model, model.forwardWithCost(x));
    expect(loss.item()).toBeCloseTo(count.gmacs, 15);
    expect(count.gmacs).not.toBeCloseTo(base, 9);
    // by hand: convs 1->2 @8x8, 2->3 @6x3, 3->3 @8x2 (3/0.8 = 3.75 -> 4? no: 6/0.8 = 7.5 -> 8, 3/1.7 -> 2), linear 3*3
    expect(dynoPoolStates(model).map((s) => s.size)).toEqual([
      [6, 3],
      [8, 2],
    ]);
    expect(count.totalMacs).toBe(8 * 8 * 2 * 1 * 9 + 6 * 3 * 3 * 2 * 9 + 8 * 2 * 3 * 3 * 9 + 9);
    loss.backward();
    for (const p of pools) expect(vals(p.alpha.grad!).every((g) => g < 0)).toBe(true);
  });
  it('gmacsLoss needs a forward pass and a baseline', () => {
    const lin = new Linear(2, 2);
    const wrapper = new (class extends Sequential {})();
    const out = { gmacs: tensor(0) };
    expect(() => gmacsLoss(wrapper as never, out)).toThrow('gmacsLoss: the model has no convolution or linear layer');
    expect(() => gmacsLoss(lin as never, out)).toThrow("gmacsLoss: layer 'model' has no baseline");
  });
});

describe('the GMACs loss belongs to its forward pass', () => {
  it('countMacs (its own forward) between the forward and the loss changes no gradient', () => {
    const alphaGrads = (countInBetween: boolean) => {
      const model = tinyVgg(true);
      const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
      const { x, labels } = tinyBatch();
      const out = model.forwardWithCost(x);
      if (countInBetween) countMacs(model, [1, 8, 8]);
      crossEntropy(out.logits, labels).add(gmacsLoss(model, out).mul(300)).backward();
      return pools.map((p) => vals(p.alpha.grad!));
    };
    expect(alphaGrads(true)).toEqual(alphaGrads(false));
  });
});

describe('small layers', () => {
  const x = tensor(Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => (i % 7) - 3)).reshape([2, 3, 4, 4]);

  it('Dropout zeroes about p of the values and scales the rest by 1 / (1 - p) in training, and is the identity in eval', () => {
    const big = tensor(new Array(4000).fill(1));
    const layer = new Dropout<Tensor>(0.25, new Generator(3));
    const y = Array.from(layer.forward(big).data());
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(1 - kept.length / y.length - 0.25)).toBeLessThan(0.03);
    layer.eval();
    expect(vals(layer.forward(big))).toEqual(vals(big));
    // on a feature map it drops values and keeps the size and cost
    const f = featureMap(x);
    const g = new Dropout<ReturnType<typeof featureMap>>(0.5, new Generator(1)).forward(f);
    expect(g.size).toBe(f.size);
    expect(g.cost).toBe(f.cost);
    expect(vals(g.x).some((v, i) => v === 0 && vals(x)[i] !== 0)).toBe(true);
  });

  it('AvgPool2d is the avgPool2d op on the map, with the new constant size and the cost carried on', () => {
    const f = featureMap(x, undefined, tensor(0.5));
    const g = new AvgPool2d(2).forward(f);
    expect(vals(g.x)).toEqual(vals(avgPool2d(x, { kernelSize: 2 })));
    expect(g.size.map((s) => s.item())).toEqual([2, 2]);
    expect(g.cost.item()).toBe(0.5);
  });

  it('Flatten turns a feature map into [N, C*H*W] rows', () => {
    const y = new Flatten().forward(featureMap(x));
    expect(y.shape).toEqual([2, 48]);
    expect(vals(y)).toEqual(vals(x));
  });
});
