import { describe, expect, it } from 'vitest';
import { Generator, dynoPool2d, dynoSample, gradcheck, randn, scalar, tensor } from '../../src/index.js';

/** The README's library example, kept honest. */
describe('README example', () => {
  it('runs as written and shows why the rounded map needs the surrogate check', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toString()).toBe('tensor([[2., 4.],\n        [6., 8.]], dtype=float32)');
    const img = randn([1, 8, 32, 32], { generator: new Generator(0) });
    const alpha = tensor([1.7, 2.4], { requiresGrad: true });
    const { output, size: [h, w] } = dynoPool2d(img, alpha);
    expect(output.shape).toEqual([1, 8, 19, 13]);
    h.mul(w).backward();
    expect(Array.from(alpha.grad!.data()).every((g) => g < 0)).toBe(true);
    expect(() => gradcheck(dynoSample, [img.to('float64'), scalar(19.2, { dtype: 'float64' }), scalar(12.8, { dtype: 'float64' })])).not.toThrow();
    expect(() => gradcheck((a) => dynoPool2d(img.to('float64'), a).output, [tensor([1.7, 2.4], { dtype: 'float64' })])).toThrow(/numeric 0\.0+,/);
  });
});
