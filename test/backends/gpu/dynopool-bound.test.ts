/**
 * Issue 13.3 on the gpu backend: a runaway alpha gives the named size error at once, before any
 * kernel runs (on webasm, alpha = 1e-6 used to run past 100 s at 4.4 GB).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  DynOPool,
  platformModes,
  dynoPool2d,
  featureMap,
  getBackend,
  modeUnavailableReason,
  setBackend,
  tensor,
} from '../../../src/index.js';
import { REQUIRED_GPU_MODES } from '../../support/config.js';

afterAll(() => {
  setBackend('reference');
});

describe('the DynOPool output-size bound on the gpu backend', () => {
  for (const mode of platformModes()) {
    const reason = modeUnavailableReason(mode);
    const skip = reason !== null && !REQUIRED_GPU_MODES.includes(mode);
    it.skipIf(skip)(
      `${mode}${skip ? ` (skipped: ${reason})` : ''}: alpha = 1e-6 is refused at once, naming the op, alpha and the size`,
      () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          setBackend('gpu', { mode });
          expect(getBackend().name).toBe(`gpu:${mode}`);
          const x = tensor(new Float32Array(3 * 32 * 32).fill(1), { shape: [1, 3, 32, 32] });
          // still works at a sane alpha
          expect(dynoPool2d(x, tensor([0.5, 2])).output.shape).toEqual([1, 3, 64, 16]);
          expect(() => dynoPool2d(x, tensor([1e-6, 1e-6]))).toThrow(
            /^dynoPool2d: alpha_h = 0\.000001 asks for 3200000\d output rows from 32 input rows \(input \[1, 3, 32, 32\]\), more than maxScale = 8 times the input allows \(at most 256 rows\); alpha is far too small/,
          );
          const pool = new DynOPool({ alpha: [2, 1e-6] });
          expect(() => pool.forward(featureMap(x))).toThrow(
            /^DynOPool layer \(dynoPool2d\): alpha_w = 0\.000001 asks for 3200000\d output columns from 32 input columns/,
          );
        } finally {
          warn.mockRestore();
          setBackend('reference');
        }
      },
    );
  }
});
