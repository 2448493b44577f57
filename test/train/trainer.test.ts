import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { barcodes } from '../../src/data/index.js';
import { program } from '../../src/cli/program.js';
import { DEFAULTS, type RunConfig } from '../../src/train/config.js';
import { comparisonTable, htmlReport } from '../../src/train/report.js';
import { readRun, runFiles, train } from '../../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dynopool-train-'));
const data = barcodes({ train: 96, test: 32, size: 16 });
const cfg: RunConfig = {
  ...DEFAULTS,
  model: 'vgg5',
  width: 0.125,
  dataset: 'barcodes',
  dynopool: true,
  lambda: 0.5,
  epochs: 2,
  batchSize: 16,
  alphaWarmup: 0,
  cropPadding: 1,
  flip: true,
};

describe('trainer', () => {
  it('writes config, metrics and a checkpoint; records sizes, alphas and GMACs per epoch', async () => {
    const dir = join(root, 'a');
    const { history } = await train(cfg, data, dir);
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    const r = history[1];
    expect(r.layers.length).toBe(3);
    expect(r.sizes[0]).toEqual([16, 16]);
    expect(r.sizes.length).toBe(4);
    expect(r.gmacs).toBeGreaterThan(0);
    expect(readRun(dir).history).toEqual(history);
    expect(existsSync(runFiles(dir).checkpoint)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.safetensors', 'config.json', 'metrics.jsonl']);
  });
  it('a run stopped mid-epoch and resumed ends exactly where an uninterrupted run ends', async () => {
    const straight = await train(cfg, data, join(root, 'straight'));
    const dir = join(root, 'stopped');
    let batches = 0;
    const first = await train(cfg, data, dir, { shouldStop: () => ++batches === 8 });
    expect(first.stopped).toBe(true);
    const resumed = await train(cfg, data, dir, {}, true);
    expect(resumed.stopped).toBe(false);
    const strip = (h: typeof straight.history) => h.map(({ seconds, imagesPerSecond, ...rest }) => rest);
    expect(strip(resumed.history)).toEqual(strip(straight.history));
    const a = straight.session.model.stateDict(),
      b = resumed.session.model.stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k].data())).toEqual(Array.from(a[k].data()));
  });
});

describe('report', () => {
  it('the table and the HTML page show sizes, accuracy and GMACs with inline SVG charts', async () => {
    const run = readRun(join(root, 'a'));
    const table = comparisonTable([{ name: 'a', ...run }]);
    expect(table).toContain('| a ');
    expect(table).toContain('[16,16]');
    const html = await htmlReport([{ name: 'a', ...run }], 'test');
    expect(html).toContain('<svg');
    expect(html).toContain('Learned feature-map sizes');
    expect(html).toContain('W_out');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(3);
  });
});

describe('CLI', () => {
  it('train, eval and report through the command-line program', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(root, 'cli');
      await program().parseAsync([
        'node',
        'dynopool',
        'train',
        '--dataset',
        'barcodes',
        '--limit',
        '64',
        '--epochs',
        '1',
        '--batch-size',
        '32',
        '--width',
        '0.125',
        '--dynopool',
        '--lambda',
        '0.2',
        '--out',
        out,
      ]);
      expect(log.mock.calls.some(([l]) => String(l).includes('epoch 1/1'))).toBe(true);
      await program().parseAsync(['node', 'dynopool', 'eval', out]);
      expect(log.mock.calls.some(([l]) => /after 1 epochs: test loss .* accuracy/.test(String(l)))).toBe(true);
      const html = join(root, 'r.html');
      await program().parseAsync(['node', 'dynopool', 'report', out, '--out', html]);
      expect(readFileSync(html, 'utf8')).toContain('<svg');
      await expect(program().exitOverride().parseAsync(['node', 'dynopool', 'train', '--out', out])).rejects.toThrow(
        'already holds a run; use --resume',
      );
      await expect(program().parseAsync(['node', 'dynopool', 'eval', join(root, 'nowhere')])).rejects.toThrow(
        'is not a dynopool run directory (no config.json)',
      );
    } finally {
      log.mockRestore();
    }
  });
  it('demo: trains both models, prints the comparison and the learned sizes, writes the report', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(root, 'demo');
      await program().parseAsync(['node', 'dynopool', 'demo', '--epochs', '1', '--limit', '128', '--out', out]);
      const text = log.mock.calls.map(([l]) => String(l)).join('\n');
      expect(text).toMatch(/\| human +\| vgg5 x0.25 \| human/);
      expect(text).toMatch(/\| dynopool +\| vgg5 x0.25 \| DynOPool \(lambda 0.5\)/);
      expect(text).toContain("DynOPool's learned [H_out, W_out]:");
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Learned feature-map sizes');
    } finally {
      log.mockRestore();
    }
  });
  it('validates options with clear messages', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const p = program().exitOverride();
      p.commands.forEach((c) => c.exitOverride());
      await expect(p.parseAsync(['node', 'dynopool', 'train', '--epochs', '0'])).rejects.toThrow(
        '--epochs must be an integer >= 1',
      );
      await expect(p.parseAsync(['node', 'dynopool', 'train', '--model', 'alexnet'])).rejects.toThrow(
        /Allowed choices are vgg5/,
      );
    } finally {
      err.mockRestore();
    }
  });
});
