import { describe, expect, it } from 'vitest';
import {
  DynOPool,
  countMacs,
  gmacsLoss,
  mobilenetv2,
  randn,
  resnet20,
  resnet50,
  vgg16,
  Generator,
  dynoPoolStates,
} from '../../src/index.js';

describe("backbones: the MAC counter reproduces the paper's human-designed GMACs on CIFAR (within 5%)", () => {
  const cases = [
    ['VGG-16', vgg16, 0.31],
    ['ResNet-50', resnet50, 1.31],
    ['MobileNetV2', mobilenetv2, 0.09],
  ] as const;
  for (const [name, build, paper] of cases) {
    it(`${name}: ${paper} GMACs`, () => {
      const count = countMacs(build({ numClasses: 100 }), [3, 32, 32]);
      expect(Math.abs(count.gmacs - paper) / paper).toBeLessThan(0.05);
    });
  }
  it('CIFAR ResNet-20: 40.8 M MACs (He et al. report 41 M FLOPs-as-MACs)', () => {
    expect(countMacs(resnet20(), [3, 32, 32]).totalMacs / 1e6).toBeCloseTo(40.8, 0);
  });
});

describe('backbones with DynOPool (paper section 4.4)', () => {
  const cases = [
    [
      'vgg16',
      vgg16,
      4,
      [
        [16, 16],
        [8, 8],
        [4, 4],
        [2, 2],
      ],
    ],
    [
      'resnet50',
      resnet50,
      3,
      [
        [16, 16],
        [8, 8],
        [4, 4],
      ],
    ],
    [
      'resnet20',
      resnet20,
      2,
      [
        [16, 16],
        [8, 8],
      ],
    ],
    [
      'mobilenetv2',
      mobilenetv2,
      3,
      [
        [16, 16],
        [8, 8],
        [4, 4],
      ],
    ],
  ] as const;
  for (const [name, build, pools, sizes] of cases) {
    it(`${name}: every resizer but the global pool is a DynOPool at alpha = 2, giving the human sizes`, () => {
      const model = build({ width: 0.125, dynopool: true, generator: new Generator(0) });
      expect(model.modules().filter((m) => m instanceof DynOPool).length).toBe(pools);
      const x = randn([2, 3, 32, 32], { generator: new Generator(1) });
      expect(model.forward(x).shape).toEqual([2, 10]);
      expect(dynoPoolStates(model).map((s) => s.size)).toEqual(sizes);
      const count = countMacs(model, [3, 32, 32]).gmacs;
      expect(Math.abs(gmacsLoss(model, model.forwardWithCost(x)).item() - count) / count).toBeLessThan(1e-6); // float32 loss
    });
  }
});
