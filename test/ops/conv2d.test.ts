import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, tensor } from '../../src/index.js';
import { RUNS } from '../support/config.js';
import { tensorFor, valuesFor, expectGradOk, arbConv2d } from '../../src/testing/index.js';
import { vals } from '../support/values.js';
import { naiveConv2d } from '../support/naive.js';

describe('conv2d', () => {
  it('gradients for x, weight and bias against finite differences (strides, padding, dilation, groups)', () => {
    fc.assert(
      fc.property(arbConv2d(), (c) => {
        const x = tensorFor([c.N, c.groups * c.cg, c.H, c.W], c.seed);
        const w = tensorFor([c.groups * c.ocg, c.cg, c.KH, c.KW], c.seed + 1);
        const b = tensorFor([c.groups * c.ocg], c.seed + 2);
        const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
        return c.bias
          ? expectGradOk((xx, ww, bb) => conv2d(xx, ww, bb, opts), [x, w, b], { maxElements: 150 })
          : expectGradOk((xx, ww) => conv2d(xx, ww, null, opts), [x, w], { maxElements: 150 });
      }),
      { numRuns: RUNS.expensive },
    );
  });
  it('forward equals the definition (an independent loop implementation), float64 and float32', () => {
    fc.assert(
      fc.property(arbConv2d(), (c) => {
        const xs = [c.N, c.groups * c.cg, c.H, c.W],
          ws = [c.groups * c.ocg, c.cg, c.KH, c.KW];
        const xv = valuesFor(xs, c.seed),
          wv = valuesFor(ws, c.seed + 1);
        const o = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
        const ref = naiveConv2d(xv, xs, wv, ws, o as never);
        const y = conv2d(
          tensor(xv, { shape: xs, dtype: 'float64' }),
          tensor(wv, { shape: ws, dtype: 'float64' }),
          null,
          o,
        );
        expect(y.shape).toEqual(ref.shape);
        vals(y).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 12));
        const y32 = conv2d(
          tensor(xv, { shape: xs, dtype: 'float32' }),
          tensor(wv, { shape: ws, dtype: 'float32' }),
          null,
          o,
        );
        expect(y32.dtype).toBe('float32');
        vals(y32).forEach((v, i) => expect(Math.abs(v - ref.out[i])).toBeLessThan(1e-5 * (1 + Math.abs(ref.out[i]))));
        return true;
      }),
      { numRuns: RUNS.medium },
    );
  });
  it('a small example by hand', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 1, 3, 3] });
    const w = tensor([1, 0, 0, -1], { shape: [1, 1, 2, 2] }); // x[i, j] - x[i + 1, j + 1]
    expect(vals(conv2d(x, w))).toEqual([-4, -4, -4, -4]);
    expect(vals(conv2d(x, w, tensor([1])))).toEqual([-3, -3, -3, -3]);
    expect(vals(conv2d(x, w, null, { stride: 2, padding: 1 }))).toEqual([-1, -3, -7, -4]);
    // depthwise: each channel with its own 1x1 weight
    const x2 = tensor([1, 2, 3, 4, 10, 20, 30, 40], { shape: [1, 2, 2, 2] });
    expect(vals(conv2d(x2, tensor([2, -1], { shape: [2, 1, 1, 1] }), null, { groups: 2 }))).toEqual([
      2, 4, 6, 8, -10, -20, -30, -40,
    ]);
  });
  it('gradients of the hand example: dx is the full correlation of dy with w', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 1, 3, 3], requiresGrad: true });
    const w = tensor([1, 0, 0, -1], { shape: [1, 1, 2, 2], requiresGrad: true });
    const b = tensor([0], { requiresGrad: true });
    conv2d(x, w, b).sum().backward();
    expect(vals(x.grad!)).toEqual([1, 1, 0, 1, 0, -1, 0, -1, -1]);
    expect(vals(w.grad!)).toEqual([12, 16, 24, 28]);
    expect(vals(b.grad!)).toEqual([4]);
  });
  it('rejects bad input with the op, the values and the shapes', () => {
    const x = tensor(new Float32Array(3 * 16), { shape: [1, 3, 4, 4] });
    expect(() => conv2d(x, tensor(new Float32Array(4 * 4 * 9), { shape: [4, 4, 3, 3] }))).toThrow(
      'conv2d: input has 3 channels, weight [4, 4, 3, 3] expects 4',
    );
    expect(() => conv2d(x, tensor(new Float32Array(2 * 3 * 25), { shape: [2, 3, 5, 5] }))).toThrow(
      'conv2d: kernel 5x5 (dilation 1x1, extent 5x5) is larger than the padded input 4x4',
    );
    expect(() => conv2d(x, tensor(new Float32Array(2 * 9), { shape: [2, 1, 3, 3] }), null, { groups: 2 })).toThrow(
      "conv2d: groups=2 does not divide the input's 3 channels",
    );
    expect(() => conv2d(x, tensor(new Float32Array(4 * 9), { shape: [4, 1, 3, 3] }), null, { groups: 3 })).toThrow(
      "conv2d: groups=3 does not divide the weight's 4 output channels",
    );
    expect(() => conv2d(x, tensor(new Float32Array(27), { shape: [1, 3, 3, 3] }), null, { stride: 0 })).toThrow(
      'conv2d: stride must be an integer >= 1',
    );
    expect(() => conv2d(x, tensor(new Float32Array(27), { shape: [1, 3, 3, 3] }), tensor([1, 2]))).toThrow(
      'conv2d: bias must have shape [1], got [2]',
    );
    expect(() => conv2d(tensor([1, 2]), x)).toThrow('conv2d: input must be 4-D (N, C, H, W), got shape [2]');
  });
});
