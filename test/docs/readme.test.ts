/**
 * The README's TypeScript examples, run as written: every ```ts block of README.md becomes a
 * module (its `from 'dynopool'` imports pointed at the sources, its top-level constants
 * exported), and the test checks what the README's comments claim about them. Change an
 * example and this test runs the new one; break the library and the example fails here.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynOPoolState, ImageClassifier, Tensor } from '../../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts blocks, in order. */
export const tsBlocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** Splits `s` at `sep` where no bracket is open. */
function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0,
    from = 0;
  for (let i = 0; i < s.length; i++) {
    if ('([{'.includes(s[i])) depth++;
    else if (')]}'.includes(s[i])) depth--;
    else if (depth === 0 && s[i] === sep && s[i + 1] !== '=' && s[i + 1] !== '>' && s[i - 1] !== '=') {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  return [...parts, s.slice(from)];
}

/** Every name a top-level `const` line declares (`const a = 1, b = 2;`, `const { x, y: [h, w] } = f();`). */
export function declaredNames(code: string): string[] {
  const names: string[] = [];
  for (const [, statement] of code.matchAll(/^const\s+(.*?);?\s*(?:\/\/.*)?$/gm)) {
    for (const declarator of splitTop(statement, ',')) {
      const pattern = splitTop(declarator, '=')[0];
      // identifiers of the pattern, except property keys (`size` in `{ size: [h, w] }`)
      for (const id of pattern.matchAll(/([A-Za-z_$][\w$]*)\s*(:)?/g)) if (!id[2]) names.push(id[1]);
    }
  }
  return [...new Set(names)];
}

/** Writes block `i` as a module beside this test and imports it. */
async function runBlock(i: number): Promise<Record<string, unknown>> {
  const dir = join(root, 'test/docs/.readme');
  mkdirSync(dir, { recursive: true });
  const code = tsBlocks[i]
    .replaceAll("from 'dynopool/testing'", `from '${join(root, 'src/testing/index.js')}'`)
    .replaceAll("from 'dynopool'", `from '${join(root, 'src/index.js')}'`);
  const names = declaredNames(tsBlocks[i]);
  const file = join(dir, `block-${i}.ts`);
  writeFileSync(file, `${code}\nexport { ${names.join(', ')} };\n`);
  return (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
}

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
