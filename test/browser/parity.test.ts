/**
 * gpu.js parity in a real browser: dynopool's gradient properties (`checkOps` of
 * dynopool/testing: forward value and every input gradient in float32 against the float64
 * reference, within FLOAT32_PARITY) for matmul, linear, relu, conv2d, the pools, batchNorm2d
 * and dynoSample, run in a module Worker (test/browser/pages/parity.ts) of headless chromium on
 * gpu.js's webgl2 mode (WebGL2 on SwiftShader), and on its webgl (WebGL 1) and cpu modes beside
 * it. Same seed and run counts as the Node suites (test/support/config.ts: FC_SEED, RUNS,
 * FC_RUNS_SCALE).
 *
 * gpu.js's webasm mode is not a column here: in chromium it runs out of WebAssembly memories
 * after about 40 matmul problems ("WebAssembly.Memory(): could not allocate memory"; every later
 * webasm kernel fails the same way), a resource limit of that mode, not a parity result.
 *
 * A failing cell prints fast-check's shrunk counterexample with the seed and path that replay it
 * (in Node: `checkOps(ops, { seed, backends: ['reference f32'] })`, or here with FC_SEED=<seed>).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CheckCell } from '../../src/testing/index.js';
import { bundle, describeInBrowser, launchBrowser, openPage, serveDir, type Served } from '../support/browser.js';
import { FC_SEED, RUNS } from '../support/config.js';

const pages = join(dirname(fileURLToPath(import.meta.url)), 'pages');

/** The op families, with the run counts their Node properties use. */
const FAMILIES = [
  // relu: its backward is the reluGrad binary kernel
  { runs: RUNS.medium, ops: ['matmul', 'linear', 'relu'] },
  {
    runs: RUNS.expensive,
    ops: [
      'conv2d',
      'maxPool2d (no ties)',
      'avgPool2d',
      'globalAvgPool2d',
      'batchNorm2d (training)',
      'dynoSample (x, h, w)',
    ],
  },
];
/** The columns: every gpu.js mode a browser offers here but webasm (see the file comment). */
const COLUMNS = ['gpu:webgl2', 'gpu:webgl', 'gpu:cpu'];

/** SwiftShader runs GL on the CPU, and the tests share the machine: one op takes seconds, allow minutes. */
const SLOW = 180_000;

interface Info {
  backend: string;
  platformModes: string[];
  modes: string[];
  webgl2Unavailable: string | null;
  kernel: string;
  renderer: string | null;
}

describeInBrowser('gpu.js parity in headless chromium (webgl2, in a module Worker)', () => {
  let dir = '';
  let served: Served | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let errors: string[] = [];

  /** One request to the Worker, through parity.html's runParity. */
  const ask = <T>(request: unknown): Promise<T> => page.evaluate(`runParity(${JSON.stringify(request)})`) as Promise<T>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dynopool-browser-parity-'));
    await bundle(join(pages, 'parity.ts'), join(dir, 'parity.js'));
    served = await serveDir(dir, { '/': readFileSync(join(pages, 'parity.html'), 'utf8') });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, served.url));
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs on gpu.js webgl2: the backend, the mode list and the kernel class', async () => {
    const info = await ask<Info>({ kind: 'info' });
    expect(info.webgl2Unavailable).toBeNull();
    expect(info.platformModes).toEqual(['webgl2', 'webgl', 'webasm', 'cpu']);
    expect(info.modes).toContain('webgl2');
    expect(info.backend).toBe('gpu:webgl2');
    expect(info.kernel).toBe('WebGL2Kernel');
    expect(info.renderer, 'a WebGL2 context in the Worker').toMatch(/WebGL 2\.0/);
  });

  for (const { runs, ops } of FAMILIES)
    for (const op of ops)
      it(
        `${op}: float32 value and gradients match the float64 reference on ${COLUMNS.join(', ')} (${runs} problems)`,
        async () => {
          const r = await ask<{ cells: CheckCell[]; backends: string[] }>({
            kind: 'check',
            ops: [op],
            backends: COLUMNS,
            runs,
            seed: FC_SEED,
          });
          expect(r.backends, 'the columns that ran').toEqual(COLUMNS);
          for (const column of COLUMNS) {
            const cell = r.cells.find((c) => c.op === op && c.backend === column);
            expect(cell, `a ${op} cell on ${column}`).toBeDefined();
            expect(
              cell!.status,
              `${op} on ${column}: ${cell!.status}, seed ${FC_SEED}\n${cell!.failure ?? '(skipped: not available)'}`,
            ).toBe('pass');
            expect(cell!.runs, `${op} on ${column}: problems run`).toBe(runs);
            expect(Number.isFinite(cell!.maxError), `${op} on ${column}: max error ${cell!.maxError}`).toBe(true);
          }
        },
        SLOW,
      );

  it(
    `the fused SGD update (a kernel without a gradient): float32 on ${COLUMNS.join(', ')} matches the float64 reference (${RUNS.cheap} problems)`,
    async () => {
      const modes = COLUMNS.map((c) => c.replace(/^gpu:/, ''));
      const r = await ask<{ results: { mode: string; backend: string; runs: number; failure: string | null }[] }>({
        kind: 'sgd',
        modes,
        runs: RUNS.cheap,
        seed: FC_SEED,
      });
      expect(r.results.map((x) => x.backend)).toEqual(COLUMNS);
      for (const x of r.results) {
        expect(x.failure, `sgdUpdate on gpu:${x.mode}, seed ${FC_SEED}`).toBeNull();
        expect(x.runs, `sgdUpdate on gpu:${x.mode}: problems run`).toBe(RUNS.cheap);
      }
    },
    SLOW,
  );

  it('leaves no console error and no uncaught error in the page or its Worker', () => {
    expect(errors).toEqual([]);
  });
});
