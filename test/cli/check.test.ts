/**
 * `dynopool check` end to end, in a fresh process: the whole matrix prints and exits 0; a bad
 * argument exits 1. (A failing cell's exit code comes from checkOps's `ok`, tested with wrong ops
 * in test/testing/testing.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OP_CHECKS } from '../../src/testing/index.js';

const check = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check', ...args], { encoding: 'utf8' });

describe('dynopool check', () => {
  it('prints the op x backend matrix, every op a row, and exits 0', () => {
    const r = check('--runs', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^op +float64 gradcheck +reference f32 +gpu:headlessgl +gpu:webasm +gpu:cpu +wasm$/m);
    for (const op of OP_CHECKS)
      expect(r.stdout).toMatch(new RegExp(`^${op.name.replace(/[()]/g, '\\$&')} +pass +1 `, 'm'));
    expect(r.stdout).not.toMatch(/FAIL +\d/);
    expect(r.stdout).toMatch(/\d+ cells passed, 0 failed/);
  });
  it('--op and --seed choose rows and problems; an unknown op exits 1', () => {
    const r = check('--op', 'conv2d', '--seed', '7', '--runs', '2', '--backend', 'float64 gradcheck');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1 ops x 1 backends, seed 7, 2 runs per cell');
    const bad = check('--op', 'nope');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--op matches none of');
  });
});
