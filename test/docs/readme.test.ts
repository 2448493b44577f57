/**
 * The README's TypeScript examples, run as written: every ```ts block of README.md becomes a
 * module (test/docs/blocks.ts: its `from 'dynopool'` imports pointed at the sources, its top-level
 * constants exported), and the test checks what the README's comments claim about them. Change an
 * example and this test runs the new one; break the library and the example fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynOPoolState, ImageClassifier, Tensor } from '../../src/index.js';
import { declaredNames, readDoc, runBlock as run, tsBlocks as blocksOf } from './blocks.js';

/** The ```ts blocks of README.md, in order. */
export const tsBlocks = blocksOf(readDoc('README.md'));

/** Runs README block `i` as a module (test/docs/blocks.ts) and returns its exports. */
const runBlock = (i: number): Promise<Record<string, unknown>> => run(tsBlocks[i], `readme-${i}`);

describe('README', () => {
  it('has the examples this test knows about', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(3);
    expect(declaredNames('const { output, size: [h, w] } = f(x);')).toEqual(['output', 'h', 'w']);
    expect(declaredNames('const a = [1], b = 2, c = 0.5;  // x')).toEqual(['a', 'b', 'c']);
  });

  describe('library example', () => {
    let m: Record<string, unknown>;
    beforeAll(async () => {
      m = await runBlock(0);
    });

    it('prints the gradient the comment shows', () => {
      const comment = /dx = .*\/\/ (tensor\(.*\))/.exec(tsBlocks[0])![1];
      expect((m.dx as string).replace(/\s+/g, ' ')).toBe(comment.replace(/\s+/g, ' '));
    });

    it('gives the output shape the comment shows, and a negative size gradient to alpha', () => {
      const shape = JSON.parse(/\/\/ output (\[[\d, ]+\])/.exec(tsBlocks[0])![1]) as number[];
      expect((m.output as Tensor).shape).toEqual(shape);
      expect(Array.from((m.alpha as Tensor).grad!.data()).every((g) => g < 0)).toBe(true);
    });
  });

  describe('modules example', () => {
    let m: Record<string, unknown>;
    beforeAll(async () => {
      m = await runBlock(1);
    }, 300_000);

    it('counts the GMACs the comment shows', () => {
      const claimed = Number(/gmacs;?\s*\/\/ ([\d.]+)/.exec(tsBlocks[1])![1]);
      expect((m.gmacs as number).toFixed(3)).toBe(claimed.toFixed(3));
    });

    it('trains: finite losses, alpha moved by the hand-written step and projected into its box', () => {
      const step = m.step as { loss: number; taskLoss: number; gmacs: number; count: number };
      expect(Number.isFinite(step.loss) && step.loss > step.taskLoss).toBe(true);
      expect(step.count).toBe(2);
      const states = m.states as DynOPoolState[];
      expect(states.length).toBeGreaterThan(0);
      expect(states).toHaveLength((m.alphas as Tensor[]).length);
      for (const s of states) for (const a of s.alpha) expect(a >= 0.25 && a <= 16).toBe(true);
      expect((m.model as ImageClassifier).parameters().length).toBeGreaterThan(0);
    });
  });

  it('dynopool/testing example: gradProperty proves the op it defines', async () => {
    const i = tsBlocks.findIndex((b) => b.includes('gradProperty('));
    expect(i).toBeGreaterThan(-1);
    const m = await runBlock(i); // gradProperty throws when the gradient is wrong
    expect(typeof m.softplus).toBe('function');
  });

  it('gpu.js example selects a gpu.js backend', async () => {
    const i = tsBlocks.findIndex((b) => b.includes("setBackend('gpu'"));
    expect(i).toBeGreaterThan(-1);
    const { getBackend, setBackend } = await import('../../src/index.js');
    try {
      await runBlock(i);
      expect(getBackend().name).toMatch(/^gpu:(headlessgl|webasm|cpu)$/);
    } finally {
      setBackend('reference');
    }
  });
});
