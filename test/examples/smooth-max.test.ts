/**
 * examples/smooth-max.ts runs as a user would run it (its `dynopool` imports resolve to the
 * sources through tsconfig paths): the op's property passes and the planted bug is caught with
 * a printed, shrunk counterexample and gradcheck's report.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('examples/smooth-max.ts', () => {
  it('proves smoothMax and catches the planted bug with a counterexample', () => {
    const { FC_SEED: _seed, FC_RUNS_SCALE: _scale, ...env } = process.env; // the default seed
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/smooth-max.ts'], {
      encoding: 'utf8',
      env,
    });
    expect(out).toContain('smoothMax: the gradient matches finite differences on every random input');
    expect(out).toContain('buggySmoothMax: caught');
    expect(out).toMatch(/Property failed after \d+ tests/);
    expect(out).toMatch(/\{ seed: 20221124, path: "[\d:]+", endOnFailure: true \}/);
    expect(out).toMatch(/Counterexample: \[\[tensorFor\(\[\d+(, \d+)*\], \d+\)\]\]/);
    expect(out).toMatch(/gradcheck: \d+ gradient mismatch/);
    expect(out).not.toContain('not caught');
  });
});
