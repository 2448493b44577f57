/**
 * The guided tour (docs/tour/), run as written: every ```ts block of every chapter becomes a
 * module (test/docs/blocks.ts) and is imported, so a block that throws fails here, and every
 * `// => claim` comment in it is checked against the value it is written beside.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { checkClaim, claims, readDoc, root, runAndCheck, tsBlocks } from './blocks.js';

const chapters = readdirSync(`${root}/docs/tour`)
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort();

describe('tour', () => {
  afterEach(() => {
    if (getBackend().name !== 'reference') setBackend('reference'); // a failed gpu chapter must not leak
  });

  it('has its ten chapters, each with a block that makes claims, all linked from the index', () => {
    expect(chapters).toHaveLength(10);
    const index = readDoc('docs/tour/README.md');
    for (const c of chapters) {
      expect(index).toContain(`](${c})`);
      const blocks = tsBlocks(readDoc(`docs/tour/${c}`));
      expect(blocks.length, c).toBeGreaterThan(0);
      expect(blocks.flatMap(claims).length, c).toBeGreaterThan(0);
    }
  });

  for (const chapter of chapters) {
    const blocks = tsBlocks(readDoc(`docs/tour/${chapter}`));
    blocks.forEach((code, i) => {
      const id = `tour-${chapter.replace(/\.md$/, '')}-${i}`;
      it(`${chapter} block ${i + 1} runs and its ${claims(code).length} claims hold`, async () => {
        await runAndCheck(code, id);
      });
    });
  }
});

describe('block checker', () => {
  it('fails a block that throws', async () => {
    const code = "import { tensor } from 'dynopool';\nconst y = tensor([1, 2]).matmul(tensor([1, 2, 3]));\n";
    await expect(runAndCheck(code, 'broken-throws')).rejects.toThrow(/matmul/);
  });

  it('fails a block whose claim is false, naming the claim', async () => {
    const code =
      "import { tensor } from 'dynopool';\nconst y = tensor([1, 2]).mul(2);  // => tensor([2., 5.], dtype=float32)\n";
    await expect(runAndCheck(code, 'broken-claim')).rejects.toThrow(/claim 'tensor\(\[2\., 5\.\]/);
  });

  it('checks each claim form, to the decimals written', () => {
    const check = (value: unknown, claim: string): void =>
      checkClaim(value, { name: 'v', claim, line: `const v = 0; // => ${claim}` });
    check(0.31349, '0.313');
    expect(() => check(0.3136, '0.313')).toThrow();
    check([-11.0727, 0], '[-11.073, 0]');
    expect(() => check([1, 2, 3], '[1, 2]')).toThrow();
    check('gpu:cpu', '"gpu:cpu"');
    check(true, 'true');
    expect(() => check(1, 'about one')).toThrow(/cannot check/);
    expect(() => claims('y.backward(); // => 1')).toThrow(/const line/);
    expect(claims('const a = f(); // => shape [1, 2]')).toEqual([
      { name: 'a', claim: 'shape [1, 2]', line: 'const a = f(); // => shape [1, 2]' },
    ]);
  });
});
