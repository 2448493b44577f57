/** tidy / keep on a GL mode, where tensors own textures: what a scope releases and what survives. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SGD,
  Tensor,
  getBackend,
  gpuMemoryStats,
  keep,
  modeUnavailableReason,
  setBackend,
  tidy,
} from '../../../src/index.js';
import { REQUIRED_GPU_MODES } from '../../support/config.js';

/** One parameter trained by SGD with momentum, each step in its own tidy scope. */
function sgdLoop(p: Tensor) {
  p.requiresGrad = true;
  const opt = new SGD([{ params: [p] }], { lr: 0.1, momentum: 0.9 });
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      p.mul(p).sum().backward();
      opt.step();
    });
  return { p, opt, step };
}

const reason = modeUnavailableReason('headlessgl');
const skip = reason !== null && !REQUIRED_GPU_MODES.includes('headlessgl');

describe.skipIf(skip)(`tidy and keep on headlessgl${skip ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(() => {
    setBackend('gpu', { mode: 'headlessgl' });
  });
  afterAll(() => {
    setBackend('reference');
  });
  const onGpu = (v: number) => new Tensor(getBackend().upload(new Float32Array(5000).fill(v)), [5000], getBackend());
  const live = () => gpuMemoryStats().liveTextures;

  it('releases what the scope made, except what it returns', () => {
    const before = live();
    let inner: Tensor | null = null;
    const out = tidy(() => {
      const a = onGpu(1).add(1); // a texture
      inner = a.mul(3);
      return a.add(inner);
    });
    expect(live()).toBe(before + 1);
    expect(out.data()[0]).toBe(8);
    expect(() => inner!.data()).toThrow(
      'gpu backend: a tensor of 5000 values was used after tidy() released its device memory (return it from the tidy function, or keep() it)',
    );
  });

  it('keeps kept values, and values read back before the scope ended stay readable', () => {
    const before = live();
    let kept: Tensor | null = null,
      readBack: Tensor | null = null;
    tidy(() => {
      kept = keep(onGpu(2).mul(2));
      readBack = onGpu(2).mul(5);
      expect(readBack.data()[0]).toBe(10);
    });
    expect(live()).toBe(before + 1);
    expect(kept!.data()[0]).toBe(4);
    expect(readBack!.data()[0]).toBe(10);
  });

  it('nested scopes hand their result to the enclosing scope', () => {
    const before = live();
    tidy(() => {
      const r = tidy(() => onGpu(1).add(2).mul(2));
      expect(live()).toBe(before + 1);
      expect(r.data()[0]).toBe(6);
    });
    expect(live()).toBe(before);
  });

  it('parameters, their gradients and optimizer buffers survive steps; what they replace does not', () => {
    const { p, opt, step } = sgdLoop(onGpu(1));
    step();
    step(); // from step 2 on the momentum buffer is its own texture (step 1 shares the gradient's)
    const after2 = live();
    for (let i = 0; i < 5; i++) step();
    expect(live()).toBe(after2);
    // what survives is usable: p, p.grad (of the last step's p) and the momentum buffer
    const last = p.data()[0];
    step();
    expect(p.grad!.data()[0]).toBeCloseTo(2 * last, 5);
    expect(Math.abs(opt.stateDict().buffers['0.0.momentum'].data()[0])).toBeGreaterThan(0);
  });

  it('refuses a tensor too large for exact GLSL indexing, before compiling anything', async () => {
    const { KernelCache } = await import('../../../src/backend/gpu/runtime.js');
    const cache = new KernelCache('headlessgl');
    const fill = function (this: { thread: { x: number } }) {
      return this.thread.x;
    };
    expect(() => cache.run('fill', fill, {}, 2 ** 24 + 1, [])).toThrow(
      'gpu backend (headlessgl): fill needs a tensor of 16777217 values, more than the 16777216 that GLSL float indices address exactly; use the webasm mode or the reference backend',
    );
    expect(cache.size).toBe(0);
  });

  it('refuses an async function', () => {
    expect(() => tidy((async () => 1) as never)).toThrow(
      'tidy: the function must be synchronous (it returned a Promise)',
    );
  });
});

describe.skipIf(modeUnavailableReason('webasm') !== null)('kernel cache on webasm', () => {
  it('destroys idle and least recently used kernels and recompiles them on demand', async () => {
    const { KernelCache } = await import('../../../src/backend/gpu/runtime.js');
    const cache = new KernelCache('webasm', 8, 4);
    const fill = function (this: { thread: { x: number }; constants: Record<string, number> }) {
      return this.constants.v + this.thread.x;
    };
    for (let v = 0; v < 20; v++)
      expect(Array.from(cache.run('fill', fill, { v }, 3, []) as Float32Array)).toEqual([v, v + 1, v + 2]);
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(Array.from(cache.run('fill', fill, { v: 0 }, 3, []) as Float32Array)).toEqual([0, 1, 2]);
    cache.clear();
  });
});

describe.skipIf(modeUnavailableReason('webasm') !== null)(
  'gpuMemoryStats on webasm (kernel results are host arrays)',
  () => {
    beforeAll(() => {
      setBackend('gpu', { mode: 'webasm' });
    });
    afterAll(() => {
      setBackend('reference');
    });
    const onGpu = (v: number) => new Tensor(getBackend().upload(new Float32Array(5000).fill(v)), [5000], getBackend());

    it('counts the kernel results the backend holds, and what a scope releases', () => {
      const s0 = gpuMemoryStats();
      const a = onGpu(1).add(1); // a kernel result: 5000 float32 values
      const s1 = gpuMemoryStats();
      expect([s1.liveStorages - s0.liveStorages, s1.liveBytes - s0.liveBytes]).toEqual([1, 20000]);
      expect(s1.liveTextures).toBe(s0.liveTextures); // no textures on webasm
      let inner: Tensor | null = null;
      const out = tidy(() => {
        inner = a.mul(3);
        return a.add(inner).mul(2);
      });
      const s2 = gpuMemoryStats();
      // the scope made 3 results and returned 1
      expect([s2.liveStorages - s1.liveStorages, s2.liveBytes - s1.liveBytes]).toEqual([1, 20000]);
      expect(out.data()[0]).toBe(16);
      expect(inner!.data()[0]).toBe(6); // released results stay readable here: their array is the host copy
    });

    it('does not grow across training steps', () => {
      const { step } = sgdLoop(onGpu(1));
      step();
      step();
      const after2 = gpuMemoryStats();
      expect(after2.liveStorages).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) step();
      expect([gpuMemoryStats().liveStorages, gpuMemoryStats().liveBytes]).toEqual([
        after2.liveStorages,
        after2.liveBytes,
      ]);
    });
  },
);
