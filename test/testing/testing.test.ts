/**
 * dynopool/testing as a user meets it: gradProperty passes a right gradient and reports a wrong
 * one with a replayable, shrunk counterexample; arbTensor keeps values away from kinks; checkOps
 * returns a matrix that a wrong op fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineOp, type Tensor } from '../../src/index.js';
import {
  arbShape,
  arbTensor,
  checkOps,
  FC_SEED,
  formatMatrix,
  gradProperty,
  OP_CHECKS,
  opCheck,
  tensorFor,
} from '../../src/testing/index.js';

/** x^3 with a right and a wrong gradient. */
const cube = defineOp({
  name: 'cube',
  inputs: ['x'],
  forward: ({ x }) => ({ output: x.mul(x).mul(x), saved: null }),
  grads: { x: (dy, { inputs }) => dy.mul(inputs.x.mul(inputs.x).mul(3)) },
});
const badCube = defineOp({
  name: 'badCube',
  inputs: ['x'],
  forward: ({ x }) => ({ output: x.mul(x).mul(x), saved: null }),
  grads: { x: (dy, { inputs }) => dy.mul(inputs.x.mul(inputs.x).mul(2.9)) },
});

describe('gradProperty', () => {
  it('passes a right gradient', () => {
    expect(() => gradProperty((x) => cube({ x }, {}), [arbTensor()], { numRuns: 20 })).not.toThrow();
  });
  it('throws a wrong one with the seed, path, shrunk counterexample and gradcheck report', () => {
    let message = '';
    try {
      gradProperty((x) => badCube({ x }, {}), [arbTensor()], { numRuns: 20 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`seed: ${FC_SEED}`);
    expect(message).toMatch(/Counterexample: \[\[tensorFor\(\[\], \d+\)\]\]/); // shrunk to a scalar
    expect(message).toMatch(/gradcheck: 1 gradient mismatch/);
    // the printed path replays the failure
    const path = /path: "([\d:]+)"/.exec(message)?.[1];
    expect(() => gradProperty((x) => badCube({ x }, {}), [arbTensor()], { numRuns: 20, path })).toThrow(
      'Counterexample',
    );
  });
  it('takes one arbitrary of the whole input list (inputs whose shapes depend on each other)', () => {
    const pair = arbShape({ minDims: 1 }).chain((s) => fc.tuple(arbTensor({ shape: s }), arbTensor({ shape: s })));
    expect(() => gradProperty((a, b) => a.mul(b).add(a), pair, { numRuns: 10 })).not.toThrow();
  });
});

describe('arbTensor', () => {
  it('draws float64 tensors of the given shape, away from the kinks, printed as their recipe', () => {
    fc.assert(
      fc.property(arbTensor({ shape: [3, 4], awayFrom: [0, 1], margin: 0.1 }), (t: Tensor) => {
        expect(t.shape).toEqual([3, 4]);
        expect(t.dtype).toBe('float64');
        for (const v of t.data()) expect(Math.min(Math.abs(v), Math.abs(v - 1))).toBeGreaterThanOrEqual(0.1 - 1e-12);
        expect(fc.stringify(t)).toMatch(/^tensorFor\(\[3,4\], \d+, \{"awayFrom":\[0,1\],"margin":0\.1\}\)$/);
        return true;
      }),
      { numRuns: 20 },
    );
  });
});

describe('checkOps', () => {
  it('runs the package properties on the reference (a row per op, a cell per backend)', () => {
    const ops = OP_CHECKS.filter((o) => ['exp', 'matmul', 'conv2d'].includes(o.name));
    const m = checkOps(ops, { runs: 2, backends: ['float64 gradcheck', 'reference f32'] });
    expect(m.ok).toBe(true);
    expect(m.cells).toHaveLength(6);
    expect(m.cells.every((c) => c.status === 'pass' && c.runs === 2)).toBe(true);
    expect(formatMatrix(m)).toMatch(/^conv2d +pass +2 +\S+ +pass +2 +\S+$/m);
  });
  it('fails a wrong gradient (float64) and a wrong float32 value, with the counterexample', () => {
    const wrong = opCheck({
      name: 'badCube',
      params: fc.record({ shape: arbShape(), seed: fc.nat() }),
      build: ({ shape, seed }) => ({ fn: (x) => badCube({ x }, {}), inputs: [tensorFor(shape, seed)] }),
    });
    const float32Only = opCheck({
      name: 'float32 drift',
      params: fc.record({ shape: arbShape({ minDims: 1 }), seed: fc.nat() }),
      build: ({ shape, seed }) => ({
        fn: (x) => (x.dtype === 'float32' ? x.mul(1.01) : x),
        inputs: [tensorFor(shape, seed, { lo: 1, hi: 2 })],
      }),
    });
    const m = checkOps([wrong, float32Only], { runs: 5, backends: ['float64 gradcheck', 'reference f32'] });
    expect(m.ok).toBe(false);
    const cell = (op: string, b: string) => m.cells.find((c) => c.op === op && c.backend === b);
    expect(cell('badCube', 'float64 gradcheck')?.status).toBe('fail');
    expect(cell('badCube', 'float64 gradcheck')?.failure).toMatch(/Counterexample: \[\{"shape":\[\],"seed":\d+\}\]/);
    expect(cell('float32 drift', 'float64 gradcheck')?.status).toBe('pass');
    expect(cell('float32 drift', 'reference f32')?.status).toBe('fail');
    expect(cell('float32 drift', 'reference f32')?.failure).toContain('output: 1 of 1 values differ');
    const text = formatMatrix(m);
    expect(text).toContain('FAIL badCube on float64 gradcheck:');
    expect(text).toMatch(/cells passed, 2 failed/);
  });
});
