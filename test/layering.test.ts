/**
 * Layers that point one way: making a tensor loads neither the ops' gpu.js kernels nor gpu.js
 * itself, and the full library loads gpu.js only when a gpu backend is chosen. Each case runs in
 * a fresh Node process (vitest's own module graph would hide what a program loads).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('fast-check is loaded by dynopool/testing only: not by the library, nor by the CLI until `check` runs', () => {
    // fast-check loads as an ES module (no require cache): a resolve hook logs it to a file
    const log = join(mkdtempSync(join(tmpdir(), 'dynopool-layering-')), 'fast-check.log');
    const hooks = `import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        if (/[\\\\/]fast-check[\\\\/]/.test(r.url)) appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
        return r;
      }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        import { existsSync } from 'node:fs';
        const loaded = () => existsSync(${JSON.stringify(log)});
        await import('./src/index.ts');
        const { program } = await import('./src/cli/program.ts');
        program();
        const before = loaded();
        await import('./src/testing/index.ts');
        console.log(before, loaded());
        `,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(out).toBe('false true');
  });
});
