/**
 * The training loop: task loss + lambda * GMACs loss (paper eq. 8), SGD with two parameter
 * groups (weights; DynOPool's alpha with its own lr, no weight decay), a cosine schedule per
 * iteration, per-epoch evaluation and records, and a checkpoint after every epoch.
 *
 * Reproducible and resumable: the model is initialised from `seed`; epoch e's order and batch
 * b's augmentation come from (seed, e, b) alone, so a run resumed from any checkpoint (also one
 * written on Ctrl-C in the middle of an epoch) continues exactly as if never stopped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../backend/memory.js';
import { channelStats, epochOrder, gather, toTensor, type Dataset, type Split } from '../data/dataset.js';
import { augmentBatch, normalize } from '../data/transforms.js';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '../nn/checkpoint.js';
import { countMacs, dynoPoolStates, featureMapSizes, gmacsLoss, type DynOPoolState } from '../nn/complexity.js';
import { DynOPool } from '../nn/dynopool.js';
import type { ImageClassifier } from '../nn/models/common.js';
import { SGD } from '../nn/optim/optimizer.js';
import { LRScheduler } from '../nn/optim/schedule.js';
import { crossEntropy } from '../ops/softmax/softmax.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildModel, validateConfig, type RunConfig } from './config.js';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** GMACs per image at the sizes after this epoch */
  gmacs: number;
  /** [H, W] of each stage (the sizes the convolutions run at) */
  sizes: [number, number][];
  layers: DynOPoolState[];
  lr: number;
  alphaLr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainHooks {
  onStart?(info: { cfg: RunConfig; dataset: Dataset; model: ImageClassifier; startEpoch: number; startBatch: number; baselineGmacs: number }): void;
  onBatch?(info: BatchInfo): void;
  onEpoch?(record: EpochRecord): void;
  /** polled after every batch; true saves a checkpoint and stops */
  shouldStop?(): boolean;
}

export interface RunFiles {
  dir: string;
  config: string;
  metrics: string;
  checkpoint: string;
}

export function runFiles(dir: string): RunFiles {
  return { dir, config: join(dir, 'config.json'), metrics: join(dir, 'metrics.jsonl'), checkpoint: join(dir, 'checkpoint.safetensors') };
}

interface Progress {
  /** next batch index within the current epoch */
  batch: number;
  history: EpochRecord[];
  sums: { loss: number; correct: number; seen: number; seconds: number };
}

export interface Session {
  cfg: RunConfig;
  dataset: Dataset;
  model: ImageClassifier;
  alphas: Tensor[];
  optimizer: SGD;
  scheduler: LRScheduler;
  stats: { mean: number[]; std: number[] };
  baselineGmacs: number;
}

export function createSession(cfg: RunConfig, dataset: Dataset): Session {
  validateConfig(cfg);
  const model = buildModel(cfg, dataset.shape, dataset.numClasses, { generator: new Generator(cfg.seed) });
  const alphas = model.modules().filter((m): m is DynOPool => m instanceof DynOPool).map((m) => m.alpha);
  const weights = model.parameters().filter((p) => !alphas.includes(p));
  const groups = [{ params: weights, name: 'weights' }];
  if (alphas.length) groups.push({ params: alphas, name: 'alpha', lr: cfg.alphaLr, weightDecay: 0, momentum: cfg.alphaMomentum } as never);
  const optimizer = new SGD(groups, { lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.momentum > 0, weightDecay: cfg.weightDecay });
  const batches = Math.floor(dataset.train.count / cfg.batchSize);
  if (batches < 1) throw new Error(`train: batch size ${cfg.batchSize} is larger than the ${dataset.train.count} training images`);
  const scheduler = new LRScheduler(optimizer, { kind: 'cosine', total: cfg.epochs * batches });
  const baselineGmacs = countMacs(model, dataset.shape).gmacs;
  return { cfg, dataset, model, alphas, optimizer, scheduler, stats: channelStats(dataset.train, dataset.shape), baselineGmacs };
}

function argmaxCorrect(logits: Float32Array | Float64Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/** Test loss and accuracy in eval mode. */
export function evaluate(s: Pick<Session, 'model' | 'dataset' | 'stats'>, split: Split = s.dataset.test, batchSize = 256): { loss: number; acc: number } {
  const { model, dataset } = s;
  const wasTraining = model.training;
  model.eval();
  let loss = 0, correct = 0;
  noGrad(() => {
    for (let b = 0; b < split.count; b += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, split.count - b) }, (_, i) => b + i);
      const { x, labels } = gather(split, dataset.shape, idx);
      normalize(x, idx.length, dataset.shape, s.stats.mean, s.stats.std);
      tidy(() => {
        const logits = model.forward(toTensor(x, idx.length, dataset.shape));
        loss += crossEntropy(logits, labels).item() * idx.length;
        correct += argmaxCorrect(logits.data(), labels, dataset.numClasses);
      });
    }
  });
  model.train(wasTraining);
  return { loss: loss / split.count, acc: correct / split.count };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains `cfg` into `dir` (config.json, metrics.jsonl, checkpoint.safetensors). With `resume`,
 * continues from the checkpoint there. Returns the history and whether it was stopped early.
 */
export async function train(cfg: RunConfig, dataset: Dataset, dir: string, hooks: TrainHooks = {}, resume = false): Promise<{ history: EpochRecord[]; stopped: boolean; session: Session }> {
  const files = runFiles(dir);
  mkdirSync(dir, { recursive: true });
  const s = createSession(cfg, dataset);
  const { model, optimizer, scheduler, alphas } = s;
  let epoch = 0;
  let progress: Progress = { batch: 0, history: [], sums: { loss: 0, correct: 0, seen: 0, seconds: 0 } };
  if (resume) {
    if (!existsSync(files.checkpoint)) throw new Error(`train --resume: no checkpoint at ${files.checkpoint}`);
    const saved = loadCheckpoint(files.checkpoint, { model, optimizer, scheduler });
    epoch = saved.epoch;
    progress = (saved.extra as { progress: Progress }).progress;
  } else {
    writeFileAtomic(files.config, JSON.stringify(cfg, null, 2) + '\n');
  }
  const batches = Math.floor(dataset.train.count / cfg.batchSize);
  hooks.onStart?.({ cfg, dataset, model, startEpoch: epoch, startBatch: progress.batch, baselineGmacs: s.baselineGmacs });
  /** `completed` epochs are done; `progress.batch` batches of the next one */
  const save = (completed: number) => saveCheckpoint(files.checkpoint, { model, optimizer, scheduler, epoch: completed, extra: { progress } });

  for (; epoch < cfg.epochs; epoch++) {
    const order = epochOrder(dataset.train.count, cfg.seed, epoch);
    for (let b = progress.batch; b < batches; b++) {
      const t0 = Date.now();
      const idx = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
      const { x, labels } = gather(dataset.train, dataset.shape, idx);
      const g = new Generator(cfg.seed * 7 + epoch * 100_003 + b);
      if (cfg.cropPadding > 0 || cfg.flip) augmentBatch(x, idx.length, dataset.shape, { cropPadding: cfg.cropPadding, flip: cfg.flip }, g);
      normalize(x, idx.length, dataset.shape, s.stats.mean, s.stats.std);

      // one tidy scope per step: on gpu.js GL modes it frees the step's textures (src/backend/memory.ts)
      const { taskLoss, correct } = tidy(() => {
        optimizer.zeroGrad();
        const logits = model.forward(toTensor(x, idx.length, dataset.shape));
        const task = crossEntropy(logits, labels);
        const loss = cfg.dynopool && cfg.lambda > 0 ? task.add(gmacsLoss(model).mul(cfg.lambda / s.baselineGmacs)) : task;
        loss.backward();
        for (const a of alphas) {
          if (!a.grad) continue;
          if (epoch < cfg.alphaWarmup) a.grad = null;
          else if (cfg.alphaClip > 0) a.grad = a.grad.clamp(-cfg.alphaClip, cfg.alphaClip);
        }
        optimizer.step();
        for (const a of alphas) a.assign(a.detach().clamp(cfg.alphaMin, cfg.alphaMax));
        return { taskLoss: task.item(), correct: argmaxCorrect(logits.data(), labels, dataset.numClasses) };
      });
      scheduler.step();

      progress.sums.loss += taskLoss * idx.length;
      progress.sums.correct += correct;
      progress.sums.seen += idx.length;
      progress.sums.seconds += (Date.now() - t0) / 1000;
      progress.batch = b + 1;
      const ips = progress.sums.seen / Math.max(progress.sums.seconds, 1e-9);
      hooks.onBatch?.({ epoch, batch: b + 1, batches, loss: progress.sums.loss / progress.sums.seen, imagesPerSecond: ips, etaSeconds: ((batches - b - 1) * cfg.batchSize) / ips });
      await yieldToEventLoop();
      if (hooks.shouldStop?.()) {
        save(epoch);
        return { history: progress.history, stopped: true, session: s };
      }
    }
    const test = evaluate(s);
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: progress.sums.loss / Math.max(progress.sums.seen, 1),
      trainAcc: progress.sums.correct / Math.max(progress.sums.seen, 1),
      testLoss: test.loss, testAcc: test.acc,
      gmacs: countMacs(model, dataset.shape).gmacs,
      sizes: featureMapSizes(model),
      layers: dynoPoolStates(model),
      lr: optimizer.groups[0].lr,
      alphaLr: optimizer.groups[1]?.lr ?? 0,
      seconds: progress.sums.seconds,
      imagesPerSecond: progress.sums.seen / Math.max(progress.sums.seconds, 1e-9),
    };
    progress = { batch: 0, history: [...progress.history, record], sums: { loss: 0, correct: 0, seen: 0, seconds: 0 } };
    hooks.onEpoch?.(record);
    save(epoch + 1);
    writeFileAtomic(files.metrics, progress.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return { history: progress.history, stopped: false, session: s };
}

/** Reads a run directory written by `train`. */
export function readRun(dir: string): { cfg: RunConfig; history: EpochRecord[] } {
  const files = runFiles(dir);
  if (!existsSync(files.config)) throw new Error(`${dir} is not a dynopool run directory (no config.json)`);
  let cfg: RunConfig;
  try {
    cfg = JSON.parse(readFileSync(files.config, 'utf8'));
  } catch (e) {
    throw new Error(`${files.config}: not valid JSON (${(e as Error).message})`);
  }
  const history = existsSync(files.metrics)
    ? readFileSync(files.metrics, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
      try { return JSON.parse(l) as EpochRecord; } catch { throw new Error(`${files.metrics}: line ${i + 1} is not valid JSON`); }
    })
    : [];
  return { cfg, history };
}
