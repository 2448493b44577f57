/**
 * A whole training step on the wasm backend matches the reference: a tiny DynOPool VGG trained
 * for a few SGD steps gives the reference's float32 losses, with no fallback warning.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DynOPool, SGD, type WasmBackend, getBackend, setBackend, tensor, trainStep } from '../../../src/index.js';
import { valuesFor } from '../../../src/testing/index.js';
import { tinyVgg } from '../../nn/support.js';

function trainSteps(steps: number): number[] {
  const model = tinyVgg(true, 'float32', 5);
  const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
  const opt = new SGD(
    [
      { params: model.parameters().filter((p) => !pools.some((d) => d.alpha === p)) },
      { params: pools.map((d) => d.alpha), lr: 0.01 },
    ],
    { lr: 0.05, momentum: 0.9 },
  );
  const x = tensor(valuesFor([4, 1, 8, 8], 2), { shape: [4, 1, 8, 8], dtype: 'float32' });
  return Array.from(
    { length: steps },
    () => trainStep(model, opt, { x, labels: [0, 1, 2, 0] }, { lambda: 3000, accuracy: false }).loss,
  );
}

afterAll(() => {
  setBackend('reference');
});

describe('training on the wasm backend', () => {
  it('gives the reference losses over 6 steps, with no fallback', () => {
    setBackend('reference');
    const reference = trainSteps(6);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const backend = setBackend('wasm') as WasmBackend;
      expect(getBackend().name).toBe('wasm');
      const losses = trainSteps(6);
      losses.forEach((l, i) => expect(Math.abs(l - reference[i])).toBeLessThan(2e-4 * (1 + Math.abs(reference[i]))));
      expect(backend.fallbacks).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      setBackend('reference');
    }
  });
});
