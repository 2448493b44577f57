/**
 * NaN and infinities on the reference backend, op by op, against what PyTorch gives (issue #13
 * item 1): NaN propagates through relu, maximum / minimum, clamp, max / min reductions, max
 * pooling and DynOPool's max, and conv2d's zero padding is 0 * w (NaN where w is +-Inf). The
 * gradients at NaN follow PyTorch too (see each op's doc comment). The gpu.js kernels are held
 * to the same values by the parity properties in test/gpu, whose inputs hold NaN / +-Inf.
 */
import { describe, expect, it } from 'vitest';
import * as dp from '../../src/index.js';
import { tensor, type Tensor } from '../../src/index.js';

const t = (v: number[], shape?: number[]) =>
  tensor(Float64Array.from(v), { shape: shape ?? [v.length], dtype: 'float64' });
const param = (v: number[], shape?: number[]) => {
  const p = t(v, shape);
  p.requiresGrad = true;
  return p;
};
/** Values with -0 as 0 (toEqual tells them apart; PyTorch's sign of a zero is not at issue here). */
const vals = (x: Tensor) => Array.from(x.data(), (v) => (v === 0 ? 0 : v));
const { NaN: N } = Number;
const I = Infinity;

describe('NaN propagates through every op, as in PyTorch (reference backend)', () => {
  const cases: [string, () => Tensor, number[]][] = [
    ['relu', () => t([N, 1, -1, I, -I]).relu(), [N, 1, 0, I, 0]],
    ['leakyRelu', () => dp.leakyRelu(t([N, 1, -1]), 0.5), [N, 1, -0.5]],
    ['maximum(x, 0)', () => t([N, 1, -1]).maximum(0), [N, 1, 0]],
    ['maximum(0, x)', () => dp.maximum(0, t([N, 1, -1])), [N, 1, 0]],
    ['maximum, NaN on either side', () => dp.maximum(t([N, 2, 1]), t([1, N, I])), [N, N, I]],
    ['minimum(x, 0)', () => t([N, 1, -1]).minimum(0), [N, 0, -1]],
    ['minimum, NaN on either side', () => dp.minimum(t([N, 2, 1]), t([1, N, -I])), [N, N, -I]],
    ['clamp(x, -1, 1)', () => t([N, 2, -2, 0.5, I, -I]).clamp(-1, 1), [N, 1, -1, 0.5, 1, -1]],
    ['clamp(x, null, 1)', () => t([N, 2]).clamp(null, 1), [N, 1]],
    ['max (all)', () => t([1, N, 3]).max(), [N]],
    ['min (all)', () => t([1, N, -3]).min(), [N]],
    ['max over axis 1', () => t([1, N, 2, 3, I, N], [3, 2]).max(1), [N, 3, N]],
    ['min over axis 0', () => t([1, N, 2, 3], [2, 2]).min(0), [1, N]],
    [
      'maxPool2d 2x2',
      () => dp.maxPool2d(t([N, 1, 5, 6, 2, 3, 7, 8, -I, -I, I, 0, -I, -I, 9, N], [1, 1, 4, 4]), { kernelSize: 2 }),
      [N, 8, -I, N],
    ],
    [
      'maxPool2d, padded window',
      () => dp.maxPool2d(t([N, 1, 2, 3], [1, 1, 2, 2]), { kernelSize: 3, stride: 1, padding: 1 }),
      [N, N, N, N],
    ],
    ['avgPool2d', () => dp.avgPool2d(t([N, 1, 2, 3, 4, 5, I, 1], [1, 1, 2, 4]), { kernelSize: 2 }), [N, I]],
    // alpha = (2, 2) on a 4x4 input puts the points on pixel centres: a NaN wins its cell; the Inf
    // pixel is weighted 0 by the sample on its left neighbour (0 * Inf = NaN), which wins
    [
      'dynoPool2d max',
      () => dp.dynoPool2d(t([N, 1, 5, 6, 2, 3, 7, 8, 0, 0, 0, 0, 0, I, 0, 0], [1, 1, 4, 4]), t([2, 2])).output,
      [N, 8, N, 0],
    ],
    // a bilinear sample is the weighted sum of its 4 pixels (grid_sample's form): Inf weighted
    // 0.25 beside a finite pixel is Inf, and a pixel weighted 0 still counts (0 * NaN = NaN)
    ['dynoSample, Inf between pixels', () => dp.dynoSample(t([I, 1], [1, 1, 1, 2]), t([1], []), t([1.2], [])), [I]],
    ['dynoSample, NaN weighted 0', () => dp.dynoSample(t([1, N], [1, 1, 1, 2]), t([1], []), t([2], [])), [N, N]],
    // the 3x3 weight's corner taps read the zero padding: 0 * Inf = NaN (PyTorch's unfold + matmul)
    [
      'conv2d, Inf weight on a padded tap',
      () => dp.conv2d(t([2], [1, 1, 1, 1]), t([I, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 3, 3]), null, { padding: 1 }),
      [N],
    ],
    [
      'conv2d, Inf weight on an input tap',
      () => dp.conv2d(t([2], [1, 1, 1, 1]), t([1, 1, 1, 1, I, 1, 1, 1, 1], [1, 1, 3, 3]), null, { padding: 1 }),
      [I],
    ],
    ['conv2d, NaN input', () => dp.conv2d(t([N, 1, 1, 1], [1, 1, 2, 2]), t([1], [1, 1, 1, 1])), [N, 1, 1, 1]],
  ];
  for (const [name, run, want] of cases) it(name, () => expect(vals(run())).toEqual(want));
});

describe('gradients at NaN follow PyTorch (reference backend)', () => {
  const grad = (x: Tensor, y: Tensor) => {
    y.sum().backward();
    return vals(x.grad!);
  };

  it('relu: dy passes where the input is NaN (threshold_backward(dy, relu(x), 0) = x <= 0 ? 0 : dy)', () => {
    const x = param([N, 1, -1, 0]);
    expect(grad(x, x.relu())).toEqual([1, 1, 0, 0]);
  });

  it('maximum / minimum: a NaN operand and the other both get dy (PyTorch masks only the strictly smaller / larger)', () => {
    const a = param([N, 1, 2, 3]),
      b = param([0, N, 2, 4]);
    dp.maximum(a, b).sum().backward();
    expect([vals(a.grad!), vals(b.grad!)]).toEqual([
      [1, 1, 0.5, 0],
      [1, 1, 0.5, 1],
    ]);
    const c = param([N, 1, 2, 3]),
      d = param([0, N, 2, 4]);
    dp.minimum(c, d).sum().backward();
    expect([vals(c.grad!), vals(d.grad!)]).toEqual([
      [1, 1, 0.5, 1],
      [1, 1, 0.5, 0],
    ]);
  });

  it('clamp: 0 at NaN (PyTorch: dy where min <= x <= max)', () => {
    const x = param([N, 0.5, 2]);
    expect(grad(x, x.clamp(-1, 1))).toEqual([0, 1, 0]);
  });

  it("max / min reductions: NaN over the reduced group, as PyTorch's amax (dy * [x == max] / count, and NaN == NaN is false)", () => {
    const x = param([1, N, 3, 4], [2, 2]);
    expect(grad(x, x.max(1))).toEqual([N, N, 0, 1]);
  });

  it("maxPool2d: dy goes to the NaN, the window's winner (the first NaN)", () => {
    const x = param([1, N, N, 0], [1, 1, 2, 2]);
    expect(grad(x, dp.maxPool2d(x, { kernelSize: 2 }))).toEqual([0, 1, 0, 0]);
  });

  it('dynoPool2d: dy goes to the winning sample, the first NaN one, with its bilinear weights', () => {
    // alpha = (2, 2): cell (0, 0)'s first point sits on pixel 0 and weighs the NaN pixel 5 by 0,
    // so it is NaN and wins: pixel 0 gets dy (weight 1), pixel 5 gets 0 * dy
    const x = param([0, 1, 5, 6, 2, N, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 4, 4]);
    expect(grad(x, dp.dynoPool2d(x, t([2, 2])).output)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('conv2d: the weight gradient of a padded tap is dy * 0 (NaN where dy is +-Inf); dx has no padded terms', () => {
    const x = param([2], [1, 1, 1, 1]),
      w = param([1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 3, 3]);
    dp.conv2d(x, w, null, { padding: 1 }).mul(I).sum().backward();
    expect(vals(w.grad!)).toEqual([N, N, N, N, I, N, N, N, N]);
    expect(vals(x.grad!)).toEqual([I]);
  });
});
