/**
 * Issue #13 (reliability): divergence, run-directory locks, signals and seeds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { barcodes } from '../../src/data/index.js';
import { Generator, type ImageClassifier } from '../../src/index.js';
import { loadSafetensors } from '../../src/nn/checkpoint.js';
import { DEFAULTS, type RunConfig } from '../../src/train/config.js';
import { loadDataset } from '../../src/data/registry.js';
import { readRun, runFiles, train } from '../../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dynopool-rel-'));
const data = barcodes({ train: 64, test: 32, size: 16 });
const cfg: RunConfig = { ...DEFAULTS, model: 'vgg5', width: 0.125, dataset: 'barcodes', epochs: 2, batchSize: 16 };
const finite = (path: string) =>
  Object.values(loadSafetensors(path).tensors).every((t) => Array.from(t.data()).every(Number.isFinite));

describe('item 2: a non-finite loss stops the run', () => {
  it('names the step, the loss and the learning rate; keeps the last good checkpoint', async () => {
    const dir = join(root, 'diverge');
    let model: ImageClassifier | undefined;
    const run = train(cfg, data, dir, {
      onStart: (info) => {
        model = info.model;
      },
      // after the first step of epoch 2, a classifier weight becomes NaN: the next loss is NaN
      onBatch: (b) => {
        if (b.epoch === 1 && b.batch === 1) {
          const p = model!.parameters().at(-1)!;
          p.assign(p.detach().mul(NaN));
        }
      },
    });
    await expect(run).rejects.toThrow(
      /train: the loss became NaN at epoch 2, batch 2 \(step 6\); the run diverged: lower --lr \(now 0\.05\); the last good checkpoint \(epoch 1\) .* is kept/s,
    );
    const meta = loadSafetensors(runFiles(dir).checkpoint).metadata;
    expect(meta.epoch).toBe('1');
    expect(finite(runFiles(dir).checkpoint)).toBe(true);
    expect(existsSync(join(dir, '.dynopool.lock'))).toBe(false);
  });
  it('--nan-policy ignore keeps the old behaviour (the run goes on)', async () => {
    const dir = join(root, 'ignore');
    const r = await train({ ...cfg, epochs: 1, lr: 1e30, nanPolicy: 'ignore' }, data, dir);
    expect(r.history.length).toBe(1);
  });
});

describe('item 4: one run per directory', () => {
  it('a second run on the same directory refuses, naming the other process; the lock goes at the end', async () => {
    const dir = join(root, 'twice');
    const first = train({ ...cfg, epochs: 1 }, data, dir);
    await new Promise((r) => setTimeout(r, 10));
    await expect(train({ ...cfg, epochs: 1, seed: 5 }, data, dir)).rejects.toThrow(
      new RegExp(`is in use by another dynopool process \\(pid ${process.pid}, train since `),
    );
    await first;
    expect(JSON.parse(readFileSync(runFiles(dir).config, 'utf8')).seed).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.safetensors', 'config.json', 'metrics.jsonl']);
  });
  it('a stale lock (its process is gone) is taken over with a notice', async () => {
    const dir = join(root, 'stale');
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(
      join(dir, '.dynopool.lock'),
      JSON.stringify({ pid: Number(dead), started: 'yesterday', command: 'train' }),
    );
    const notices: string[] = [];
    await train({ ...cfg, epochs: 1 }, data, dir, { onNotice: (m) => notices.push(m) });
    expect(notices.join('\n')).toMatch(new RegExp(`taking over the stale lock .*pid ${dead}.* no longer running`));
    expect(existsSync(join(dir, '.dynopool.lock'))).toBe(false);
  });
});

describe('item 3: Ctrl-C interrupts a long step at once', () => {
  it('a step of many seconds: SIGINT 1 s in stops it, saves the state before the batch, releases the lock, exit 130; the checkpoint resumes', async () => {
    // one vgg16 x0.5 step on 32 images takes ~18 s on the reference backend (chosen for that); before the
    // interrupt, Ctrl-C waited for it and saved batch 1 as done
    const out = join(root, 'ctrl-c-long-step');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'train',
        '--backend',
        'reference',
        '--model',
        'vgg16',
        '--width',
        '0.5',
        '--batch-size',
        '32',
        '--limit',
        '32',
        '--epochs',
        '2',
        '--out',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '',
      stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const started = (resolve: () => void) =>
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('[reference]')) resolve();
      });
    await new Promise<void>(started);
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(
      'ctrl-c-long-step: Ctrl-C: interrupted batch 1 of epoch 1; checkpoint saved (the batch will run again on --resume)',
    );
    expect(stderr).not.toContain('stopping after this batch');
    expect(stdout).toContain('checkpoint saved to');
    expect(existsSync(join(out, '.dynopool.lock'))).toBe(false);
    const { metadata } = loadSafetensors(runFiles(out).checkpoint);
    expect(metadata.epoch).toBe('0');
    expect((JSON.parse(metadata.optimizer) as { steps: number }).steps).toBe(0);
    const sums = { loss: 0, correct: 0, seen: 0, seconds: 0 };
    expect(JSON.parse(metadata.extra)).toEqual({ progress: { batch: 0, history: [], sums } });
    // the resume path takes it (its first batch would take as long again: stop at the start)
    const { cfg: saved } = readRun(out);
    const dataset = loadDataset({ name: saved.dataset, limit: saved.limit, seed: saved.seed });
    let start: unknown = null;
    const onStart = (i: { startEpoch: number; startBatch: number }) => {
      start = [i.startEpoch, i.startBatch];
      throw new Error('started');
    };
    await expect(train(saved, dataset, out, { onStart }, true)).rejects.toThrow('started');
    expect(start).toEqual([0, 0]);
    expect(existsSync(join(out, '.dynopool.lock'))).toBe(false);
  });
});

describe('item 6: SIGTERM and SIGHUP save like Ctrl-C', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal}: checkpoint saved, lock released, exit ${code}`, async () => {
      const out = join(root, `sig-${signal}`);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'train',
          // an epoch of seconds, so that the signal 300 ms in lands in its batches (wasm steps are
          // a few ms at this width: with 512 images it could land in the first evaluation)
          '--limit',
          '4096',
          '--epochs',
          '50',
          '--batch-size',
          '16',
          '--width',
          '0.125',
          '--out',
          out,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '',
        stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d) => {
          stdout += d;
          if (/\[(reference|wasm)\]/.test(stdout)) resolve();
        }),
      );
      await new Promise((r) => setTimeout(r, 300));
      child.kill(signal);
      expect(await exited).toBe(code);
      // Ctrl-C interrupts the step it lands in (item 3), unless it lands between two
      if (signal === 'SIGINT')
        expect(stderr).toMatch(
          /: (SIGINT: stopping after this batch and saving a checkpoint|Ctrl-C: interrupted batch \d+ of epoch 1; checkpoint saved)/,
        );
      else expect(stderr).toContain(`: ${signal}: stopping after this batch and saving a checkpoint`);
      expect(stdout).toContain('checkpoint saved to');
      expect(existsSync(runFiles(out).checkpoint)).toBe(true);
      expect(existsSync(join(out, '.dynopool.lock'))).toBe(false);
    });
  }
});

describe('item 8: seeds use all their bits', () => {
  const first3 = (seed: number) => {
    const g = new Generator(seed);
    return [g.nextUint32(), g.nextUint32(), g.nextUint32()];
  };
  it('seeds >= 2^32 no longer collide with small ones', () => {
    expect(first3(4294967297)).not.toEqual(first3(0));
    expect(first3(4294967297)).not.toEqual(first3(1));
    expect(first3(2 ** 32)).not.toEqual(first3(0));
    expect(first3(2 ** 33 + 5)).not.toEqual(first3(2 ** 32 + 5));
    expect(first3(2 ** 53 - 1)).not.toEqual(first3(2 ** 32 - 1));
  });
  it('seeds below 2^32 give the same numbers as before', () => {
    expect(first3(0)).toEqual([3809008728, 1133695204, 53579671]);
    expect(first3(1)).toEqual([2442144158, 3238099751, 3819917871]);
    expect(first3(42)).toEqual([2837322924, 544945897, 479756282]);
    expect(first3(4294967295)).toEqual([835879718, 1921286648, 2356205009]);
    expect(first3(123456789)).toEqual([4284103975, 1001954530, 2701803082]);
  });
});
