/**
 * Layers that point one way: making a tensor loads neither the ops' gpu.js kernels nor gpu.js
 * itself, and the full library loads gpu.js only when a gpu backend is chosen. Each case runs in
 * a fresh Node process (vitest's own module graph would hide what a program loads).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs an ES module snippet from the repository root; `loaded()` lists the gpu.js modules loaded so far. */
function run(body: string): string {
  const prelude = `
    import { createRequire } from 'node:module';
    const loaded = () => Object.keys(createRequire(import.meta.url)('node:module')._cache).filter((k) => /[\\\\/]gpu\\.js[\\\\/]/.test(k)).length;
  `;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', prelude + body], {
    encoding: 'utf8',
  }).trim();
}

describe('layering', () => {
  it('a tensor made from src/tensor with the reference backend does not load gpu.js', () => {
    const out = run(`
      await import('./src/backends/reference.ts');
      const { tensor } = await import('./src/tensor/creation.ts');
      const t = tensor([1, 2, 3]);
      console.log(t.size, loaded());
    `);
    expect(out).toBe('3 0');
  });

  it('with nothing registered, getBackend() says what to import', () => {
    const out = run(`
      const { tensor } = await import('./src/tensor/creation.ts');
      try { tensor([1]); console.log('no error'); } catch (e) { console.log(e.message); }
    `);
    expect(out).toContain('getBackend: no backend is registered');
  });

  it('the top level loads gpu.js lazily: not for the reference backend, yes for setBackend(gpu)', () => {
    const out = run(`
      const dp = await import('./src/index.ts');
      const y = dp.tensor([1, 2]).add(1).relu().sum();
      const before = loaded();
      dp.setBackend('gpu', { mode: 'cpu' });
      const z = dp.tensor([1, 2]).mul(3).sum();
      console.log(y.item(), before, z.item(), loaded() > 0);
    `);
    expect(out).toBe('5 0 9 true');
  });
});
