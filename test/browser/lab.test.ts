/**
 * The browser lab (`dynopool lab`, src/lab) in headless chromium: the page served by the lab's
 * own server (src/cli/lab.ts) from a fresh browser build (scripts/build-browser.js), driven
 * through its form like a user would.
 *
 * - It loads with no console errors, trains on gpu.js webgl2, and its first steps' losses are
 *   those of Node's reference backend for the same configuration and seed (float32 tolerance),
 *   with the same learned sizes at every step.
 * - The sizes it shows are those in its metrics; the run it offers for download is a run
 *   directory that `dynopool eval` and `dynopool report` accept. A screenshot goes to
 *   test-artifacts/lab.png (not committed).
 * - Faults: a bad form value is refused with a message naming the field; a browser without WebGL
 *   gets a visible notice and trains on gpu.js cpu (not webasm: see AUTO_FALLBACKS in
 *   src/backend/gpu/host.browser.ts); a corrupt dataset from the server is an error shown on the
 *   page.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLab, type LabServer } from '../../src/cli/lab.js';
import '../../src/backends/index.js';
import { setBackend } from '../../src/backend/registry.js';
import { loadDataset } from '../../src/data/registry.js';
import { DEFAULTS, type RunConfig } from '../../src/train/config.js';
import { trainInto, type RunStore } from '../../src/train/loop.js';
import type { LabState } from '../../src/lab/protocol.js';
import {
  browserUnavailableReason,
  buildBrowserInto,
  describeInBrowser,
  launchBrowser,
  openPage,
} from '../support/browser.js';
import { FLOAT32_PARITY } from '../support/config.js';

const root = join(import.meta.dirname, '..', '..');
/** 4 batches an epoch: alpha rests in epoch 1 (alphaWarmup) and learns in epoch 2 */
const FORM = {
  dataset: 'barcodes',
  limit: '128',
  model: 'vgg5',
  width: '0.25',
  pooling: 'dynopool',
  lambda: '0.5',
  epochs: '2',
  batchSize: '32',
  lr: '0.05',
  alphaLr: '0.2',
  seed: '3',
  maxSteps: '8',
};
const STEPS = 8;

let build: string, lab: LabServer, browser: Browser;

beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), 'dynopool-lab-'));
  buildBrowserInto(build);
  lab = await startLab({ port: 0, root: join(build, 'lab') });
  if (browserUnavailableReason() === null) browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
  rmSync(build, { recursive: true, force: true });
});

/** Sets the form's fields (name -> value): selects by option value, inputs by text. */
async function fillForm(page: Page, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) {
    const el = page.locator(`[name=${name}]`);
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
}

/** Fills the form (name -> value), presses Train and waits until the Worker is done or failed. */
async function train(page: Page, values: Record<string, string>): Promise<LabState> {
  await fillForm(page, values);
  await page.click('#train');
  await page.waitForFunction(() => labState().done !== null || labState().errors.length > 0, null, {
    timeout: 240_000,
  });
  return page.evaluate(() => labState());
}
declare function labState(): LabState;
/** Defines `labState()` in the page (a string: the test's transpiler must not touch it). */
const exposeLabState = (page: Page) => page.addInitScript('globalThis.labState = () => globalThis.lab;');

/** The same run in Node on the reference backend: every step's loss and sizes. */
async function nodeRun(): Promise<{ losses: number[]; sizes: [number, number][][]; cfg: RunConfig }> {
  const cfg: RunConfig = {
    ...DEFAULTS,
    model: 'vgg5',
    dataset: 'barcodes',
    limit: 128,
    width: 0.25,
    dynopool: true,
    lambda: 0.5,
    epochs: 2,
    batchSize: 32,
    lr: 0.05,
    alphaLr: 0.2,
    seed: 3,
    backend: 'reference',
  };
  const dataset = loadDataset({ name: 'barcodes', limit: 128, seed: 3 });
  const store: RunStore = {
    where: 'memory',
    checkpointName: 'memory',
    writeConfig: () => {},
    writeMetrics: () => {},
    writeCheckpoint: () => {},
    readCheckpoint: () => null,
  };
  const losses: number[] = [],
    sizes: [number, number][][] = [];
  setBackend('reference');
  await trainInto(cfg, dataset, store, {
    onBatch: (b) => {
      losses.push(b.stepLoss);
      sizes.push(b.sizes);
    },
    shouldStop: () => losses.length >= STEPS,
  });
  return { losses, sizes, cfg };
}

describeInBrowser('the browser lab (dynopool lab) in headless chromium', () => {
  let page: Page, errors: string[], state: LabState;
  const downloads = mkdtempSync(join(tmpdir(), 'dynopool-lab-run-'));

  beforeAll(async () => {
    ({ page, errors } = await openPage(browser, 'about:blank'));
    await exposeLabState(page);
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.goto(lab.url);
    state = await train(page, FORM);
  });
  afterAll(() => rmSync(downloads, { recursive: true, force: true }));

  it('trains on gpu.js webgl2 with no console errors', async () => {
    expect(state.errors).toEqual([]);
    expect(errors).toEqual([]);
    expect(state.backend).toBe('gpu:webgl2');
    // chromium here renders WebGL with SwiftShader, on the CPU: the page says so
    expect(state.renderer).toMatch(/SwiftShader/);
    expect(state.notice).toMatch(/^webgl2 runs on a software renderer here \(.*SwiftShader.*\), not a GPU/);
    expect(await page.locator('#notice').isVisible()).toBe(true);
    expect(state.done).toMatchObject({ stopped: true, steps: STEPS });
    expect(state.steps).toHaveLength(STEPS);
    expect(state.epochs).toHaveLength(1); // epoch 1 (4 steps) was evaluated; epoch 2 stopped at its 4th step
  });

  it("gives Node's reference losses and sizes for the same seed, step by step", async () => {
    const node = await nodeRun();
    expect(node.losses).toHaveLength(STEPS);
    const page = state.steps.map((s) => s.loss);
    // float32 in both, rounding differently op by op (measured: within 1.1e-7 relative over 8 steps)
    node.losses.forEach((ref, i) => {
      const tol = FLOAT32_PARITY.atol + FLOAT32_PARITY.rtol * Math.abs(ref);
      expect(Math.abs(page[i] - ref), `step ${i + 1}: page ${page[i]}, node ${ref}`).toBeLessThanOrEqual(tol);
    });
    expect(state.steps.map((s) => s.sizes)).toEqual(node.sizes);
    // alpha learned in epoch 2: the sizes moved, so the comparison above says something
    expect(node.sizes[STEPS - 1]).not.toEqual(node.sizes[0]);
  });

  it('shows the sizes of its metrics, and saves a screenshot', async () => {
    const shown = await page.locator('#sizes').getAttribute('data-sizes');
    expect(JSON.parse(shown!)).toEqual(state.steps[STEPS - 1].sizes);
    const text = await page.locator('#sizes').textContent();
    expect(text).toBe(state.steps[STEPS - 1].sizes.map(([h, w]) => `[${h},${w}]`).join(' '));
    const captions = await page.locator('#maps figcaption').allTextContents();
    expect(captions.slice(1)).toEqual(
      state.steps[STEPS - 1].sizes.slice(1).map(([h, w], i) => `stage ${i + 1}: ${h}x${w}`),
    );
    const row = await page.locator('#epochs tbody tr td').nth(5).textContent();
    expect(row).toBe(state.epochs[0].sizes.map(([h, w]) => `[${h},${w}]`).join(' '));
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-artifacts', 'lab.png') });
  });

  it('offers the run as files that dynopool eval and dynopool report accept', async () => {
    for (const id of ['dl-config', 'dl-metrics', 'dl-checkpoint']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
      await download.saveAs(join(downloads, download.suggestedFilename()));
    }
    const cfg = JSON.parse(readFileSync(join(downloads, 'config.json'), 'utf8')) as RunConfig;
    expect(cfg).toMatchObject({ backend: 'gpu', gpuMode: 'webgl2', seed: 3, alphaLr: 0.2, dynopool: true });
    const metrics = readFileSync(join(downloads, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics.map((l) => JSON.parse(l) as { sizes: unknown }).map((r) => r.sizes)).toEqual(
      state.epochs.map((r) => r.sizes),
    );
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
    const evaluated = cli('eval', downloads);
    expect(evaluated.stderr).toContain('trained on gpu:webgl2 (a browser); evaluating on the wasm backend here');
    expect(evaluated.status).toBe(0);
    expect(evaluated.stdout).toMatch(/after 1 epochs: test loss \d\.\d+, accuracy \d+\.\d+% on 512 images/);
    const report = cli('report', downloads, '--out', join(downloads, 'report.html'));
    expect(report.status).toBe(0);
    expect(report.stdout).toContain(state.epochs[0].sizes.map(([h, w]) => `[${h},${w}]`).join(' '));
    // the page stopped in epoch 2: Node resumes the run from the page's checkpoint and finishes it
    const resumed = cli('train', '--resume', '--out', downloads);
    expect(resumed.stderr).toContain('resuming on the wasm backend here');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain('resuming at epoch 2 batch 5');
    expect(readFileSync(join(downloads, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('pauses between batches, resumes, and stops with a checkpoint', async () => {
    await page.goto(lab.url);
    const steps = () => page.evaluate(() => labState().steps.length);
    await fillForm(page, { ...FORM, maxSteps: '0' });
    await page.click('#train');
    await expect.poll(steps, { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
    await page.click('#pause');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toBe('paused');
    expect(await page.locator('#pause').textContent()).toBe('Resume');
    const held = await steps();
    await page.waitForTimeout(1500); // the Worker waits: no step while paused
    expect(await steps()).toBe(held);
    await page.click('#pause');
    await expect.poll(steps, { timeout: 60_000 }).toBeGreaterThan(held);
    await page.click('#stop');
    await page.waitForFunction(() => labState().done !== null, null, { timeout: 120_000 });
    const s = await page.evaluate(() => labState());
    expect(s.errors).toEqual([]);
    expect(s.done?.stopped).toBe(true);
    expect(s.done!.steps).toBeLessThan(2 * 4); // stopped before the end of epoch 2
    expect(s.files?.checkpoint?.length).toBeGreaterThan(0);
    expect(await page.locator('#train').isEnabled()).toBe(true);
  });

  it('refuses a bad form value with a message naming the field, and starts nothing', async () => {
    await page.goto(lab.url);
    await page.fill('[name=batchSize]', 'abc');
    await page.click('#train');
    await expect.poll(() => page.locator('#error').textContent()).toContain('batch size must be an integer >= 1');
    expect(await page.locator('#error').isVisible()).toBe(true);
    expect(await page.evaluate(() => labState().running)).toBe(false);
    await page.fill('[name=batchSize]', '32');
    await page.selectOption('[name=pooling]', 'human');
    await page.click('#train');
    await expect.poll(() => page.locator('#error').textContent()).toContain('lambda (the GMACs loss) only applies');
  });

  it('shows a Worker error on the page: a corrupt dataset from the server is refused', async () => {
    const fresh = await openPage(browser, 'about:blank');
    await exposeLabState(fresh.page);
    await fresh.page.route('**/data/**', (route) => route.fulfill({ status: 200, body: 'not a dataset' }));
    await fresh.page.goto(lab.url);
    const s = await train(fresh.page, { maxSteps: '1' });
    expect(s.errors.join('\n')).toMatch(/decodeDataset: .*not a dynopool dataset/);
    expect(await fresh.page.locator('#error').isVisible()).toBe(true);
    expect(await fresh.page.locator('#error').textContent()).toContain('not a dynopool dataset');
    expect(await fresh.page.locator('#train').isEnabled()).toBe(true);
    await fresh.page.close();
  });
});

describeInBrowser('the browser lab without WebGL', () => {
  it('shows a notice and trains on gpu.js cpu instead', async () => {
    // a browser without WebGL, as the Worker sees it: its OffscreenCanvas gives no WebGL context
    // (chromium's --disable-webgl switches do not reach a Worker's OffscreenCanvas)
    const { page, errors } = await openPage(browser, 'about:blank');
    await page.route('**/worker.js', async (route) => {
      const original = await route.fetch();
      const noWebGl =
        'const getContext = OffscreenCanvas.prototype.getContext;\n' +
        'OffscreenCanvas.prototype.getContext = function (type, ...rest) {\n' +
        '  return /webgl/.test(type) ? null : getContext.call(this, type, ...rest);\n' +
        '};\n';
      await route.fulfill({ response: original, body: noWebGl + (await original.text()) });
    });
    await exposeLabState(page);
    await page.goto(lab.url);
    const s = await train(page, { ...FORM, maxSteps: '2' });
    expect(s.errors).toEqual([]);
    expect(errors).toEqual([]);
    expect(s.backend).toBe('gpu:cpu');
    expect(await page.locator('#notice').isVisible()).toBe(true);
    expect(await page.locator('#notice').textContent()).toContain('No WebGL2 in this browser: training on gpu.js cpu');
    expect(s.steps).toHaveLength(2);
    await page.close();
  });
});
