/**
 * A whole training step on the gpu backend matches the reference; nothing falls back; kernels
 * are not recompiled; on GL modes activations stay on the device and the number of live
 * textures does not grow from step to step.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  DynOPool,
  platformModes,
  GpuBackend,
  SGD,
  getBackend,
  gpuMemoryStats,
  GPU_HOST_PLACEMENT_LIMIT,
  modeUnavailableReason,
  setBackend,
  tensor,
  trainStep,
} from '../../../src/index.js';
import { REQUIRED_GPU_MODES } from '../../support/config.js';
import { valuesFor } from '../../../src/testing/index.js';
import { tinyVgg } from '../../nn/support.js';
import { legacy } from '../../support/kernels.js';

/** A tiny DynOPool VGG and its optimizer; each `step()` trains one batch (one tidy scope) and returns the loss. */
function trainer(): { step: () => number } {
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
  return {
    // the loss is the only readback: no accuracy count
    step: () => trainStep(model, opt, { x, labels: [0, 1, 2, 0] }, { lambda: 3000, accuracy: false }).loss,
  };
}

function trainSteps(steps: number, onStep?: () => void): number[] {
  const t = trainer();
  return Array.from({ length: steps }, () => {
    const loss = t.step();
    onStep?.();
    return loss;
  });
}

afterAll(() => {
  setBackend('reference');
});

describe('training on the gpu backend', () => {
  const reference = trainSteps(6);
  for (const mode of platformModes()) {
    const reason = modeUnavailableReason(mode);
    const skip = reason !== null && !REQUIRED_GPU_MODES.includes(mode);
    it.skipIf(skip)(
      `${mode}${skip ? ` (skipped: ${reason})` : ''}: same losses as the reference, no fallback, no recompiles after the first two steps`,
      () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          const backend = setBackend('gpu', { mode }) as GpuBackend;
          expect(getBackend().name).toBe(`gpu:${mode}`);
          const sizes: number[] = [];
          const losses = trainSteps(6, () => sizes.push(backend.kernels.size));
          losses.forEach((l, i) =>
            expect(Math.abs(l - reference[i])).toBeLessThan(2e-4 * (1 + Math.abs(reference[i]))),
          );
          // step 2 adds the momentum update's kernels; from then on every configuration is cached
          expect(sizes.slice(2).every((s) => s === sizes[1])).toBe(true);
          expect(backend.fallbacks).toEqual([]);
          expect(warn).not.toHaveBeenCalled();
        } finally {
          warn.mockRestore();
          setBackend('reference');
        }
      },
    );
  }
  it('float64 tensors fall back to the reference with one warning per op', () => {
    const warn = vi.fn();
    const backend = legacy(new GpuBackend('cpu', warn));
    const n = GPU_HOST_PLACEMENT_LIMIT;
    const a = backend.fromValues(new Float64Array(n).fill(1)),
      b = backend.fromValues(new Float64Array(n).fill(2));
    for (let i = 0; i < 3; i++)
      expect(backend.binary('add', a, [n], b, [n], [n]).hostValues()).toEqual(new Float64Array(n).fill(3));
    expect(backend.fallbacks).toEqual(['binary']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(
      "'binary' runs on the CPU reference (float64 tensors have no gpu.js kernel)",
    );
  });

  const glReason = modeUnavailableReason('headlessgl');
  it.skipIf(glReason !== null && !REQUIRED_GPU_MODES.includes('headlessgl'))(
    `headlessgl: activations stay on the device, and live textures stay flat over 24 steps${glReason ? ` (skipped: ${glReason})` : ''}`,
    () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        setBackend('gpu', { mode: 'headlessgl' });
        const t = trainer();
        const start = gpuMemoryStats();
        const live: number[] = [];
        let readbacks = 0;
        for (let i = 1; i <= 24; i++) {
          const before = gpuMemoryStats().readbacks;
          t.step();
          readbacks = Math.max(readbacks, gpuMemoryStats().readbacks - before);
          live.push(gpuMemoryStats().liveTextures - start.liveTextures);
        }
        const created = gpuMemoryStats().texturesCreated - start.texturesCreated;
        console.log(
          `headlessgl textures: ${created} created in 24 steps; live after each step: ${[...new Set(live)].join(', ')}; most readbacks in one step: ${readbacks}`,
        );
        // hundreds of textures per step, and after each step only what the model and the optimizer
        // hold: parameters, gradients and momentum buffers (from step 2 on, when momentum exists)
        expect(created).toBeGreaterThan(24 * 100);
        expect(live[0]).toBeGreaterThan(0);
        expect(live.slice(2).every((n) => n === live[1])).toBe(true);
        // a step reads back only the loss: activations and gradients never leave the device
        expect(readbacks).toBe(1);
      } finally {
        warn.mockRestore();
        setBackend('reference');
      }
    },
  );

  it('refuses an unknown backend or mode', () => {
    expect(() => setBackend('cuda')).toThrow(
      "setBackend: unknown backend 'cuda' (choose 'reference' or 'gpu' or 'wasm')",
    );
  });
});
