/**
 * The dynopool command line: train, eval, report and demo. Run `dynopool --help`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import '../backends/index.js';
import { setBackend } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import { platformModes, type GpuMode } from '../backend/gpu/runtime.js';
import type { Dataset } from '../data/dataset.js';
import { DATASETS, loadDataset } from '../data/registry.js';
import { TOY_TRANSFORMS } from '../data/transforms.js';
import { loadCheckpoint, writeFileAtomic } from '../nn/checkpoint.js';
import {
  DEFAULTS,
  MAX_SEED,
  MODELS,
  NAN_POLICIES,
  type ModelName,
  type NanPolicy,
  type RunConfig,
} from '../train/config.js';
import { MAX_WIDTH } from '../nn/models/common.js';
import { comparisonTable, htmlReport, runName, type RunSummary } from '../train/report.js';
import {
  createSession,
  evaluate,
  readRun,
  runFiles,
  train,
  type EpochRecord,
  type Interruption,
} from '../train/trainer.js';
import { addCheckCommand } from './check.js';
import { addLabCommand } from './lab.js';
import { formatDuration, ProgressBar } from './progress.js';

const num =
  (name: string, min = -Infinity, integer = false, max = Infinity) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? `${min > -Infinity ? ' and' : ''} <= ${max}` : ''}, got '${v}'`,
      );
    }
    return n;
  };

/** A non-empty path (an empty --out would write into the current directory). */
const path =
  (command: string, what: string) =>
  (v: string): string => {
    if (v.trim() === '') throw new InvalidArgumentError(`${command}: --out must name a ${what}, got '${v}'`);
    return v;
  };

/**
 * The signals that stop a run with a checkpoint, and their exit codes (128 + n). SIGTERM and SIGHUP
 * stop it after the current batch; SIGINT (Ctrl-C) also interrupts a batch or an evaluation at
 * once (`interruptible`, src/train/interrupt.ts). A second signal between batches quits at once.
 */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** What Ctrl-C interrupted (the checkpoint was saved; see Interruption). */
function interruptLine(label: string, i: Interruption): string {
  return i.phase === 'evaluation'
    ? `${label}: Ctrl-C: interrupted the evaluation of epoch ${i.epoch + 1}; checkpoint saved (the evaluation will run again on --resume)`
    : `${label}: Ctrl-C: interrupted batch ${i.batch + 1} of epoch ${i.epoch + 1}; checkpoint saved (the batch will run again on --resume)`;
}

function epochLine(name: string, r: EpochRecord, epochs: number): string {
  const sizes = r.layers.length ? ` sizes ${r.layers.map((l) => `[${l.size?.join(',')}]`).join(' ')}` : '';
  return `${name} epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(3)}  train ${(100 * r.trainAcc).toFixed(1)}%  test ${(100 * r.testAcc).toFixed(1)}%  ${(r.gmacs * 1e3).toFixed(4)} MMACs/img  ${r.imagesPerSecond.toFixed(0)} img/s${sizes}`;
}

/**
 * A run's config as this machine can run it: a run from the browser lab (gpu.js webgl2 / webgl,
 * modes Node does not have) goes on, or is evaluated, on the wasm backend, with a notice.
 */
function onThisMachine(cfg: RunConfig, label: string, doing: string): RunConfig {
  if (cfg.backend !== 'gpu' || !cfg.gpuMode || ['auto', ...platformModes()].includes(cfg.gpuMode)) return cfg;
  console.error(`${label}: trained on gpu:${cfg.gpuMode} (a browser); ${doing} on the wasm backend here`);
  return { ...cfg, backend: 'wasm', gpuMode: undefined };
}

/** Selects the run's backend and loads its dataset (train and eval start the same way). */
function setUp(cfg: RunConfig): { backend: Backend; dataset: Dataset } {
  const backend = setBackend(cfg.backend, { mode: (cfg.gpuMode ?? 'auto') as GpuMode | 'auto' });
  const dataset = loadDataset({
    name: cfg.dataset,
    dataDir: cfg.dataDir,
    transform: cfg.transform,
    limit: cfg.limit,
    seed: cfg.seed,
  });
  return { backend, dataset };
}

/** Trains one configuration with a progress bar, epoch lines and Ctrl-C handling. */
async function runTraining(
  cfg: RunConfig,
  out: string,
  resume: boolean,
  label = runName(out),
): Promise<{ history: EpochRecord[]; stopped: boolean }> {
  const { backend, dataset } = setUp(cfg);
  const bar = new ProgressBar();
  let stop: keyof typeof STOP_SIGNALS | null = null;
  const onSignal = (signal: keyof typeof STOP_SIGNALS) => {
    if (stop) process.exit(STOP_SIGNALS[signal]); // the lock is released on exit (src/train/lock.ts)
    stop = signal;
    bar.clear();
    process.stderr.write(
      `\n${label}: ${signal}: stopping after this batch and saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)\n`,
    );
  };
  const handlers = Object.keys(STOP_SIGNALS).map(
    (sig) => [sig, () => onSignal(sig as keyof typeof STOP_SIGNALS)] as const,
  );
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    const result = await train(
      cfg,
      dataset,
      out,
      {
        onStart: ({ model, startEpoch, startBatch, baselineGmacs }) => {
          const params = model.parameters().reduce((n, p) => n + p.size, 0);
          console.log(
            `${label} [${backend.name}]: ${cfg.model} x${cfg.width} ${cfg.dynopool ? `with DynOPool (lambda ${cfg.lambda})` : '(human-designed)'} on ${dataset.name} ${dataset.shape.join('x')}, ${dataset.train.count} train / ${dataset.test.count} test, ${params.toLocaleString('en-US')} parameters, ${(baselineGmacs * 1e3).toFixed(4)} MMACs/img at start${resume ? `; resuming at epoch ${startEpoch + 1} batch ${startBatch + 1}` : ''}`,
          );
        },
        onBatch: (b) =>
          bar.update(
            `${label} ${b.epoch + 1}/${cfg.epochs}`,
            b.batch,
            b.batches,
            `loss ${b.loss.toFixed(3)} ${b.imagesPerSecond.toFixed(0)} img/s ETA ${formatDuration(b.etaSeconds)}`,
          ),
        onEpoch: (r) => {
          bar.clear();
          console.log(epochLine(label, r, cfg.epochs));
        },
        shouldStop: () => stop !== null,
        interruptible: true,
        interruptibleAfter: 0.25, // steps faster than this stop between batches (see TrainHooks)
      },
      resume,
    );
    if (result.interrupted) {
      bar.clear();
      process.stderr.write(`\n${interruptLine(label, result.interrupted)}\n`);
      stop ??= 'SIGINT';
    }
    if (result.stopped) {
      console.log(
        `${label}: checkpoint saved to ${runFiles(out).checkpoint}; continue with: dynopool train --resume --out ${out}`,
      );
      process.exitCode = STOP_SIGNALS[stop ?? 'SIGINT'];
    }
    return result;
  } finally {
    bar.clear();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

function configFrom(opts: Record<string, unknown>): RunConfig {
  const cfg: RunConfig = {
    ...DEFAULTS,
    model: opts.model as ModelName,
    dataset: opts.dataset as string,
    dataDir: opts.dataDir as string | undefined,
    transform: opts.transform as RunConfig['transform'],
    limit: opts.limit as number | undefined,
    width: opts.width as number,
    dynopool: Boolean(opts.dynopool),
    lambda: opts.lambda as number,
    epochs: opts.epochs as number,
    batchSize: opts.batchSize as number,
    lr: opts.lr as number,
    momentum: opts.momentum as number,
    weightDecay: opts.weightDecay as number,
    alphaLr: opts.alphaLr as number,
    alphaMomentum: opts.alphaMomentum as number,
    alphaWarmup: opts.alphaWarmup as number,
    alphaClip: opts.alphaClip as number,
    cropPadding: opts.cropPadding as number,
    flip: Boolean(opts.flip),
    seed: opts.seed as number,
    backend: opts.backend as string,
    gpuMode: opts.gpuMode as string,
    nanPolicy: opts.nanPolicy as NanPolicy,
  };
  if (cfg.lambda > 0 && !cfg.dynopool) throw new InvalidArgumentError('--lambda only applies with --dynopool');
  return cfg;
}

async function demo(opts: { out: string; epochs: number; limit: number; lambda: number }): Promise<void> {
  const common: RunConfig = {
    ...DEFAULTS,
    model: 'vgg5',
    width: 0.25,
    dataset: 'barcodes',
    backend: 'wasm',
    limit: opts.limit,
    epochs: opts.epochs,
    batchSize: 64,
    lr: 0.05,
    alphaLr: 0.05,
    lambda: 0,
    seed: 0,
  };
  console.log('dynopool demo: a small VGG on the built-in "barcodes" data, whose label lives only along the width');
  console.log('(vertical bars of class-specific frequency plus pixel noise). The paper (section 3.1) predicts that');
  console.log('DynOPool learns wide, short feature maps here. Training the human-designed model, then DynOPool.\n');
  const started = Date.now();
  const runs: RunSummary[] = [];
  for (const [name, cfg] of [
    ['human', common],
    ['dynopool', { ...common, dynopool: true, lambda: opts.lambda }],
  ] as const) {
    const dir = join(opts.out, name);
    const { history, stopped } = await runTraining(cfg, dir, false, name);
    if (stopped) return;
    runs.push({ name, cfg, history });
  }
  console.log(`\n${comparisonTable(runs)}\n`);
  const last = runs[1].history[runs[1].history.length - 1];
  const wide = last.layers.filter((l) => l.size && l.size[1] > l.size[0]).length;
  console.log(
    `DynOPool's learned [H_out, W_out]: ${last.layers.map((l) => `[${l.size?.join(', ')}]`).join(' ')} (alpha ${last.layers.map((l) => `(${l.alpha.map((a) => a.toFixed(2)).join(', ')})`).join(' ')})`,
  );
  console.log(
    `${wide} of ${last.layers.length} DynOPool layers ended wider than tall${wide > 0 ? ', as the paper predicts for width-only information' : ''}.`,
  );
  const report = join(opts.out, 'report.html');
  writeFileAtomic(report, await htmlReport(runs, 'dynopool demo: human-designed vs DynOPool on barcodes'));
  console.log(`Report: ${report}   (total ${formatDuration((Date.now() - started) / 1000)})`);
}

export function program(): Command {
  const cli = new Command('dynopool')
    .description(
      'Train and inspect DynOPool networks (CVPR 2022, "Pooling Revisited") on a from-scratch TypeScript autograd.',
    )
    .showHelpAfterError();

  const t = cli
    .command('train')
    .description('train a model and write config.json, metrics.jsonl and checkpoint.safetensors to --out');
  t.addOption(new Option('--model <name>', 'backbone').choices([...MODELS]).default('vgg5'))
    .option('--width <x>', 'channel width multiplier', num('--width', 0.01, false, MAX_WIDTH), 0.25)
    .addOption(new Option('--dataset <name>', 'dataset').choices([...DATASETS]).default('barcodes'))
    .option('--data-dir <dir>', 'directory with the CIFAR binary files (cifar10 / cifar100)')
    .addOption(
      new Option('--transform <kind>', "the paper's toy transform of the dataset (section 3)").choices([
        ...TOY_TRANSFORMS,
      ]),
    )
    .option('--limit <n>', 'use at most n training images', num('--limit', 1, true))
    .option('--dynopool', 'replace every resizing operator except the final global pool by DynOPool', false)
    .option(
      '--lambda <x>',
      "weight of the GMACs loss, relative to the model's GMACs at initialisation (paper eq. 8)",
      num('--lambda', 0),
      0,
    )
    .option('--epochs <n>', 'epochs', num('--epochs', 1, true), DEFAULTS.epochs)
    .option('--batch-size <n>', 'batch size', num('--batch-size', 1, true), DEFAULTS.batchSize)
    .option('--lr <x>', 'learning rate of the weights (cosine schedule)', num('--lr', 0), DEFAULTS.lr)
    .option('--momentum <x>', 'SGD momentum (Nesterov when > 0)', num('--momentum', 0), DEFAULTS.momentum)
    .option('--weight-decay <x>', 'weight decay of the weights', num('--weight-decay', 0), DEFAULTS.weightDecay)
    .option(
      '--alpha-lr <x>',
      "learning rate of DynOPool's alpha (no weight decay)",
      num('--alpha-lr', 0),
      DEFAULTS.alphaLr,
    )
    .option('--alpha-momentum <x>', 'momentum of alpha', num('--alpha-momentum', 0), DEFAULTS.alphaMomentum)
    .option(
      '--alpha-warmup <n>',
      'epochs before alpha starts to learn',
      num('--alpha-warmup', 0, true),
      DEFAULTS.alphaWarmup,
    )
    .option(
      '--alpha-clip <x>',
      'clip each alpha gradient to [-x, x] (0: off)',
      num('--alpha-clip', 0),
      DEFAULTS.alphaClip,
    )
    .option(
      '--crop-padding <n>',
      'random-crop augmentation with this zero padding (CIFAR: 4)',
      num('--crop-padding', 0, true),
      0,
    )
    .option('--flip', 'random horizontal flips', false)
    .option('--seed <n>', 'seed of initialisation, data order and augmentation', num('--seed', 0, true, MAX_SEED), 0)
    .addOption(
      new Option(
        '--backend <name>',
        'compute backend: the CPU reference, gpu.js, or wasm (WebAssembly SIMD, 2 threads)',
      )
        .choices(['reference', 'gpu', 'wasm'])
        .default('wasm'),
    )
    .addOption(
      new Option('--gpu-mode <mode>', 'gpu.js mode for --backend gpu (auto: headlessgl on a hardware GPU, else webasm)')
        .choices(['auto', ...platformModes()])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--nan-policy <policy>',
        'a NaN or infinite loss: error stops the run (exit 1), keeping the last good checkpoint; ignore trains on',
      )
        .choices([...NAN_POLICIES])
        .default('error'),
    )
    .option('--out <dir>', 'run directory', path('train', 'directory'), 'runs/run')
    .option('--resume', 'continue the run in --out from its checkpoint', false)
    .action(async (opts) => {
      const out = resolve(opts.out);
      if (opts.resume) {
        const cfg = onThisMachine(readRun(out).cfg, runName(out), 'resuming');
        await runTraining(cfg, out, true);
        return;
      }
      if (existsSync(runFiles(out).checkpoint))
        throw new Error(`${out} already holds a run; use --resume to continue it or another --out`);
      await runTraining(configFrom(opts), out, false);
    });

  cli
    .command('eval')
    .description("evaluate a run's checkpoint on its test set")
    .argument('<run>', 'run directory')
    .action((dir: string) => {
      const cfg = onThisMachine(readRun(dir).cfg, runName(dir), 'evaluating');
      const { dataset } = setUp(cfg);
      const s = createSession(cfg, dataset);
      if (!existsSync(runFiles(dir).checkpoint))
        throw new Error(`${dir} has no checkpoint yet (${runFiles(dir).checkpoint})`);
      const { epoch } = loadCheckpoint(runFiles(dir).checkpoint, { model: s.model });
      const r = evaluate(s);
      console.log(
        `${runName(dir)} after ${epoch} epochs: test loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.acc).toFixed(2)}% on ${dataset.test.count} images`,
      );
    });

  cli
    .command('report')
    .description('write an HTML report comparing runs (charts + table) and print the table')
    .argument('<runs...>', 'run directories')
    .option('--out <file>', 'HTML file', path('report', 'file'), 'report.html')
    .action(async (dirs: string[], opts: { out: string }) => {
      const runs = dirs.map((d) => ({ name: runName(d), ...readRun(d) }));
      console.log(comparisonTable(runs));
      writeFileAtomic(opts.out, await htmlReport(runs));
      console.log(`Report: ${opts.out}`);
    });

  cli
    .command('demo')
    .description(
      'train the human-designed and the DynOPool version of a small VGG on the built-in barcodes data (seconds on the wasm backend), print the comparison and write a report',
    )
    .option('--out <dir>', 'where the two runs and report.html go', path('demo', 'directory'), 'runs/demo')
    .option('--epochs <n>', 'epochs per model', num('--epochs', 1, true), 6)
    .option('--limit <n>', 'training images', num('--limit', 64, true), 1536)
    .option('--lambda <x>', 'weight of the GMACs loss', num('--lambda', 0), 0.5)
    .action(async (opts) => {
      mkdirSync(opts.out, { recursive: true });
      await demo(opts);
    });

  addCheckCommand(cli); // src/cli/check.ts: loads dynopool/testing (and fast-check) only when it runs
  addLabCommand(cli); // src/cli/lab.ts: serves the browser lab (dist/lab)
  return cli;
}
