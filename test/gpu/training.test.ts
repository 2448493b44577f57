/** A whole training step on the gpu backend matches the reference; kernels are not recompiled. */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DynOPool, GPU_MODES, GpuBackend, SGD, crossEntropy, getBackend, gmacsLoss, modeUnavailableReason, setBackend, tensor } from '../../src/index.js';
import { REQUIRED_GPU_MODES } from '../support/config.js';
import { valuesFor } from '../support/arbitraries.js';
import { tinyVgg } from '../nn/support.js';

function trainSteps(steps: number, onStep?: () => void): number[] {
  const model = tinyVgg(true, 'float32', 5);
  const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
  const opt = new SGD([{ params: model.parameters().filter((p) => !pools.some((d) => d.alpha === p)) }, { params: pools.map((d) => d.alpha), lr: 0.01 }], { lr: 0.05, momentum: 0.9 });
  const x = tensor(valuesFor([4, 1, 8, 8], 2), { shape: [4, 1, 8, 8], dtype: 'float32' });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), [0, 1, 2, 0]).add(gmacsLoss(model).mul(3000));
    loss.backward();
    opt.step();
    losses.push(loss.item());
    onStep?.();
  }
  return losses;
}

afterAll(() => { setBackend('reference'); });

describe('training on the gpu backend', () => {
  const reference = trainSteps(6);
  for (const mode of GPU_MODES) {
    const reason = modeUnavailableReason(mode);
    const skip = reason !== null && !REQUIRED_GPU_MODES.includes(mode);
    it.skipIf(skip)(`${mode}${skip ? ` (skipped: ${reason})` : ''}: same losses as the reference, each fallback op warned once, no recompiles`, () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const backend = setBackend('gpu', { mode }) as GpuBackend;
        expect(getBackend().name).toBe(`gpu:${mode}`);
        const sizes: number[] = [];
        const losses = trainSteps(6, () => sizes.push(backend.kernels.size));
        losses.forEach((l, i) => expect(Math.abs(l - reference[i])).toBeLessThan(2e-4 * (1 + Math.abs(reference[i]))));
        expect(sizes.slice(1).every((s) => s === sizes[0])).toBe(true);
        expect(backend.fallbacks).toContain('binary');
        const messages = warn.mock.calls.map(([m]) => String(m));
        expect(new Set(messages).size).toBe(messages.length);
        expect(messages.some((m) => m.includes("'binary' runs on the CPU reference"))).toBe(true);
      } finally {
        warn.mockRestore();
        setBackend('reference');
      }
    });
  }
  it('refuses an unknown backend or mode', () => {
    expect(() => setBackend('cuda')).toThrow("setBackend: unknown backend 'cuda' (choose 'reference' or 'gpu')");
  });
});
