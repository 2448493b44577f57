/**
 * Child process for test/train/interrupt.test.ts (a SIGINT must reach a process's main thread,
 * which a vitest worker is not). Prints one JSON line with what it saw.
 *
 *   node --import tsx test/support/interrupt-child.ts helper
 *     prints "ready", then busy-loops (up to 60 s) inside runInterruptibly, inside tidy and
 *     noGrad; the parent sends SIGINT.
 *   node --import tsx test/support/interrupt-child.ts trainer <dir>
 *     trains a small model with `interruptible`, sending itself SIGINT in the middle of a
 *     forward pass (after the batchnorm layers) and in the middle of an evaluation; resumes each.
 */
import { join } from 'node:path';
import { isGradEnabled, noGrad } from '../../src/autograd/grad-mode.js';
import { scopeDepth, tidy } from '../../src/backend/memory.js';
import { barcodes } from '../../src/data/index.js';
import '../../src/index.js';
import { loadSafetensors } from '../../src/nn/checkpoint.js';
import { Linear } from '../../src/nn/layers.js';
import { DEFAULTS, type RunConfig } from '../../src/train/config.js';
import { Interrupted, runInterruptibly } from '../../src/train/interrupt.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { runFiles, train, type EpochRecord } from '../../src/train/trainer.js';

const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

/** Spins until V8 terminates it (a SIGINT under runInterruptibly) or `ms` have passed. */
function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy */
  }
}

async function helper(): Promise<void> {
  let handlerCalls = 0;
  process.on('SIGINT', () => {
    handlerCalls++;
  });
  let finallyRan = false,
    completed = false,
    error: unknown = null;
  process.stdout.write('ready\n');
  try {
    runInterruptibly(() =>
      tidy(() =>
        noGrad(() => {
          try {
            spin(60_000);
            completed = true;
          } finally {
            finallyRan = true;
          }
        }),
      ),
    );
  } catch (e) {
    error = e;
  }
  const passes = runInterruptibly(() => 42);
  let rethrown: unknown = null;
  try {
    runInterruptibly(() => {
      throw new RangeError('boom');
    });
  } catch (e) {
    rethrown = e;
  }
  await new Promise((r) => setTimeout(r, 200)); // a SIGINT for the JS handlers would be delivered by now
  out({
    completed,
    finallyRan,
    interrupted: error instanceof Interrupted,
    message: (error as Error | null)?.message ?? null,
    gradEnabled: isGradEnabled(),
    scopeDepth: scopeDepth(),
    handlerCalls,
    handlers: process.listenerCount('SIGINT'),
    passes,
    rethrown: rethrown instanceof RangeError && rethrown.message === 'boom',
  });
}

async function trainer(root: string): Promise<void> {
  const data = barcodes({ train: 64, test: 32, size: 16 });
  const cfg: RunConfig = {
    ...DEFAULTS,
    model: 'vgg5',
    width: 0.125,
    dataset: 'barcodes',
    dynopool: true,
    lambda: 0.5,
    alphaWarmup: 0,
    epochs: 2,
    batchSize: 16,
    cropPadding: 1,
    flip: true,
  };
  // 4 batches per epoch; the classifier (after every batchnorm layer) signals when armed
  let armed: 'train' | 'eval' | null = null;
  const forward = Linear.prototype.forward;
  Linear.prototype.forward = function (this: Linear, x) {
    const y = forward.call(this, x);
    if (armed === (this.training ? 'train' : 'eval')) {
      armed = null;
      process.kill(process.pid, 'SIGINT');
      spin(30_000);
    }
    return y;
  };
  const strip = (h: EpochRecord[]) => h.map((r) => ({ ...r, seconds: 0, imagesPerSecond: 0 }));
  const progress = (dir: string) => {
    const { metadata } = loadSafetensors(runFiles(dir).checkpoint);
    const { progress: p } = JSON.parse(metadata.extra) as { progress: { batch: number } };
    const { steps } = JSON.parse(metadata.optimizer) as { steps: number };
    return { epoch: Number(metadata.epoch), batch: p.batch, steps };
  };
  /** the same tensors bit for bit, and the same metadata but for the time spent */
  const sameCheckpoint = (a: string, b: string) => {
    const [x, y] = [a, b].map((d) => loadSafetensors(runFiles(d).checkpoint));
    const bits = (t: Tensor) => Buffer.from(t.data().buffer).toString('hex');
    const timing = (k: string, v: unknown) => (k === 'seconds' || k === 'imagesPerSecond' ? 0 : v);
    const untimed = (m: Record<string, string>) => JSON.stringify({ ...m, extra: JSON.parse(m.extra, timing) });
    const keys = Object.keys(x.tensors);
    return (
      keys.length > 0 &&
      JSON.stringify(keys) === JSON.stringify(Object.keys(y.tensors)) &&
      keys.every((k) => bits(x.tensors[k]) === bits(y.tensors[k])) &&
      untimed(x.metadata) === untimed(y.metadata)
    );
  };
  const straight = await train(cfg, data, join(root, 'straight'));
  // the reference: stopped between batches after epoch 2's batch 2 (2 batches done)
  let n = 0;
  await train(cfg, data, join(root, 'between'), { shouldStop: () => ++n === 6 });
  // interrupted in the forward pass of epoch 2's batch 3
  const step = await train(cfg, data, join(root, 'step'), {
    interruptible: true,
    onBatch: (b) => {
      if (b.epoch === 1 && b.batch === 2) armed = 'train';
    },
  });
  const stepCheckpoint = progress(join(root, 'step'));
  const sameAsBetween = sameCheckpoint(join(root, 'step'), join(root, 'between'));
  const stepResumed = await train(cfg, data, join(root, 'step'), {}, true);
  // interrupted in the evaluation after epoch 1
  const evaluation = await train(cfg, data, join(root, 'eval'), {
    interruptible: true,
    onBatch: (b) => {
      if (b.epoch === 0 && b.batch === 4) armed = 'eval';
    },
  });
  const evalCheckpoint = progress(join(root, 'eval'));
  const evalResumed = await train(cfg, data, join(root, 'eval'), {}, true);
  const same = (h: EpochRecord[]) => JSON.stringify(strip(h)) === JSON.stringify(strip(straight.history));
  out({
    step: {
      stopped: step.stopped,
      interrupted: step.interrupted,
      history: step.history.length,
      checkpoint: stepCheckpoint,
      sameAsBetween,
      resumedSame: same(stepResumed.history),
    },
    evaluation: {
      stopped: evaluation.stopped,
      interrupted: evaluation.interrupted,
      history: evaluation.history.length,
      checkpoint: evalCheckpoint,
      resumedSame: same(evalResumed.history),
    },
    gradEnabled: isGradEnabled(),
    scopeDepth: scopeDepth(),
  });
}

const [mode, dir] = process.argv.slice(2);
await (mode === 'helper' ? helper() : trainer(dir));
