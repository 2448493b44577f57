/**
 * Runs the ```ts blocks of a markdown file as modules, so documentation cannot rot (used by
 * readme.test.ts for README.md and tour.test.ts for docs/tour/).
 *
 * - `tsBlocks(markdown)` extracts the blocks in order.
 * - `runBlock(code, id)` writes one as a module under test/docs/.blocks/ (its `from 'dynopool'`
 *   and `from 'dynopool/testing'` imports pointed at the sources, every top-level `const` it
 *   declares exported) and imports it: a block that throws rejects.
 * - `claims(code)` reads the checkable claims written in its comments, and `checkClaim` checks
 *   one against the exported value. A claim is a trailing comment `// => <claim>` on a line that
 *   starts a `const` declaring exactly one name:
 *
 *     const y = x.mul(2);               // => tensor([2., 4.], dtype=float32)   y.toString()
 *     const out = conv2d(x, w);         // => shape [1, 8, 30, 30]               out.shape
 *     const n = y.sum().item();         // => 6                                 numbers: to the claim's decimals
 *     const g = alpha.grad!.toArray();  // => [-11.07, -5.56]                   arrays: element-wise, likewise
 *     const ok = a === b;               // => true                              booleans, "strings" (JSON)
 *
 *   Two or more spaces end the claim: what follows is prose (`// => 19      round(18.82)`).
 *   A number claim holds when the value, rounded to as many decimals as the claim writes, equals
 *   it (`0.313` claims 0.3125 <= v < 0.3135); a 0-d or one-element tensor is compared by its value.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Tensor } from '../../src/index.js';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the generated modules go (gitignored, excluded from typecheck, lint and format). */
export const blockDir = join(root, 'test/docs/.blocks');

/** Reads a file of the repository. */
export const readDoc = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The ```ts blocks of a markdown text, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

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

const constLine = /^const\s+(.*?);?\s*(?:\/\/(.*))?$/;

/** The names one top-level `const` statement declares (`a = 1, b = 2`, `{ x, y: [h, w] } = f()`). */
function namesOf(statement: string): string[] {
  const names: string[] = [];
  for (const declarator of splitTop(statement, ',')) {
    const pattern = splitTop(declarator, '=')[0];
    // identifiers of the pattern, except property keys (`size` in `{ size: [h, w] }`)
    for (const id of pattern.matchAll(/([A-Za-z_$][\w$]*)\s*(:)?/g)) if (!id[2]) names.push(id[1]);
  }
  return names;
}

/** Every name a top-level `const` line declares (`const a = 1, b = 2;`, `const { x, y: [h, w] } = f();`). */
export function declaredNames(code: string): string[] {
  const names: string[] = [];
  for (const line of code.split('\n')) {
    const m = constLine.exec(line);
    if (m) names.push(...namesOf(m[1].replace(/\s*\/\/.*$/, '')));
  }
  return [...new Set(names)];
}

/** One `// => claim` comment: the name it is about, the claim text and the line it is on. */
export interface Claim {
  readonly name: string;
  readonly claim: string;
  readonly line: string;
}

/** The `// => ...` claims of a block (a claim on a line that declares no single name throws). */
export function claims(code: string): Claim[] {
  const out: Claim[] = [];
  for (const line of code.split('\n')) {
    const arrow = /\/\/ => (.*)$/.exec(line);
    if (!arrow) continue;
    const m = constLine.exec(line);
    const names = m ? namesOf(m[1].replace(/\s*\/\/.*$/, '')) : [];
    if (names.length !== 1) throw new Error(`a '// =>' claim must be on a const line declaring one name: ${line}`);
    out.push({ name: names[0], claim: arrow[1].trim().split(/\s{2,}/)[0], line: line.trim() });
  }
  return out;
}

/** The number of decimals written in a numeric literal (`0.313` -> 3, `19` -> 0). */
const decimals = (s: string): number => /\.(\d+)/.exec(s)?.[1].length ?? 0;

function closeTo(value: number, claimed: string, where: string): void {
  const d = decimals(claimed);
  expect(Number(value.toFixed(d)), `${where}: ${value} is not ${claimed}`).toBe(Number(claimed));
}

/** Checks one claim against `value` (the block's export of `claim.name`); throws when it is false. */
export function checkClaim(value: unknown, { claim, line }: Claim): void {
  const where = `claim '${claim}' of \`${line}\``;
  const shape = /^shape (\[[\d, ]*\])$/.exec(claim);
  if (shape) {
    expect(value instanceof Tensor, `${where}: not a tensor`).toBe(true);
    expect((value as Tensor).shape, where).toEqual(JSON.parse(shape[1]));
  } else if (claim.startsWith('tensor(')) {
    expect(String(value).replace(/\s+/g, ' '), where).toBe(claim.replace(/\s+/g, ' '));
  } else if (/^-?[\d.]+(e-?\d+)?$/.test(claim)) {
    const v = value instanceof Tensor ? value.item() : value;
    expect(typeof v, `${where}: not a number`).toBe('number');
    closeTo(v as number, claim, where);
  } else if (claim.startsWith('[')) {
    const v = value instanceof Tensor ? value.toArray() : value;
    const want = JSON.parse(claim) as unknown;
    const flat = (a: unknown): unknown[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
    const got = flat(v),
      exp = flat(want);
    const texts = claim.match(/-?[\d.]+(e-?\d+)?/g) ?? [];
    expect(got.length, `${where}: ${JSON.stringify(v)} has ${got.length} values`).toBe(exp.length);
    got.forEach((g, i) => closeTo(g as number, texts[i], `${where} (element ${i})`));
  } else if (claim === 'true' || claim === 'false' || claim.startsWith('"')) {
    expect(value, where).toEqual(JSON.parse(claim));
  } else {
    throw new Error(`${where}: cannot check this claim (see test/docs/blocks.ts for the forms)`);
  }
}

/**
 * Writes `code` as the module test/docs/.blocks/<id>.ts, its imports of 'dynopool' and
 * 'dynopool/testing' pointed at the sources and its top-level constants exported, and imports it.
 */
export async function runBlock(code: string, id: string): Promise<Record<string, unknown>> {
  mkdirSync(blockDir, { recursive: true });
  const source = code
    .replaceAll("from 'dynopool/testing'", `from '${join(root, 'src/testing/index.js')}'`)
    .replaceAll("from 'dynopool'", `from '${join(root, 'src/index.js')}'`);
  const names = declaredNames(code);
  const file = join(blockDir, `${id}.ts`);
  writeFileSync(file, `${source}\nexport { ${names.join(', ')} };\n`);
  return (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
}

/** Runs a block and checks every `// => claim` it makes; returns its exports. */
export async function runAndCheck(code: string, id: string): Promise<Record<string, unknown>> {
  const m = await runBlock(code, id);
  for (const c of claims(code)) checkClaim(m[c.name], c);
  return m;
}
