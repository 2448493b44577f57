/**
 * The training loop, on any platform: one `trainStep` per batch (task loss + lambda * GMACs loss, paper eq. 8),
 * SGD with two parameter groups (weights; DynOPool's alpha with its own lr, no weight decay,
 * warmup, gradient clip and projection), a cosine schedule per iteration, per-epoch evaluation
 * and records, and a checkpoint after every epoch.
 *
 * Reproducible and resumable: the model is initialised from `seed`; epoch e's order and batch
 * b's augmentation come from (seed, e, b) alone, so a run resumed from any checkpoint (also one
 * written on Ctrl-C in the middle of an epoch) continues exactly as if never stopped. With
 * `TrainHooks.interruptible`, Ctrl-C stops a batch or an evaluation at once; the checkpoint it
 * saves is again a state the run passed through (see `Interruption`).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../backend/memory.js';
import { channelStats, epochOrder, gather, toTensor, type Dataset, type Split } from '../data/dataset.js';
import { augmentBatch, normalize } from '../data/transforms.js';
import { decodeCheckpoint, encodeCheckpoint } from '../nn/safetensors.js';
import { countMacs, dynoPoolStates, featureMapSizes, type DynOPoolState } from '../nn/complexity.js';
import { DynOPool } from '../nn/dynopool.js';
import type { ImageClassifier } from '../nn/models/common.js';
import { SGD, type ParamGroupSpec } from '../nn/optim/optimizer.js';
import { LRScheduler } from '../nn/optim/schedule.js';
import { crossEntropy } from '../ops/softmax/softmax.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildModel, checkAlphaRange, type RunConfig } from './config.js';
import { Interrupted, runInterruptibly } from './interrupt.js';
import { argmaxCorrect, trainStep, type StepResult } from './step.js';

/** One epoch's numbers: losses, accuracies, GMACs, sizes and alphas (a line of metrics.jsonl). */
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

/** What `TrainHooks.onBatch` hears after every step. */
export interface BatchInfo {
  /** the epoch (0-based) */
  epoch: number;
  /** batches done in this epoch (1-based: the batch just done) */
  batch: number;
  batches: number;
  /** mean task loss over this epoch's batches so far */
  loss: number;
  /** this step's L_total (eq. 8) and L_task, before its update */
  stepLoss: number;
  stepTaskLoss: number;
  /** GMACs per image at this step's sizes */
  gmacs: number;
  /** [H, W] of each stage after this step (see `featureMapSizes`) */
  sizes: [number, number][];
  imagesPerSecond: number;
  etaSeconds: number;
}

/** Callbacks of a training run (progress, stopping, pausing, interrupts). */
export interface TrainHooks {
  /** Called once, before the first batch. */
  onStart?(info: {
    cfg: RunConfig;
    dataset: Dataset;
    model: ImageClassifier;
    startEpoch: number;
    startBatch: number;
    baselineGmacs: number;
    /** batches per epoch */
    batches: number;
    /** the per-channel normalisation of the training images (as the batches get it) */
    stats: { mean: number[]; std: number[] };
  }): void;
  /** Called after every step. */
  onBatch?(info: BatchInfo): void;
  /** Called after every epoch's evaluation. */
  onEpoch?(record: EpochRecord): void;
  /** polled after every batch; true saves a checkpoint and stops */
  shouldStop?(): boolean;
  /** awaited after every batch, before `shouldStop` (the browser lab waits here while paused) */
  between?(): Promise<void> | void;
  /** notices that need no action (a stale lock taken over); default: stderr */
  onNotice?(message: string): void;
  /**
   * Let Ctrl-C (SIGINT) stop a step (its forward and backward pass: `StepOptions.interruptible`)
   * or an epoch-end evaluation at once (`runInterruptibly`, src/train/interrupt.ts), rather than
   * after it, which can be minutes. `train` then saves a checkpoint (see `Interruption`) and
   * returns with `stopped` and `interrupted` set. Default false: a SIGINT is left to the
   * process's own handlers. The CLI sets it.
   */
  interruptible?: boolean;
  /**
   * With `interruptible`: make a step (or an evaluation) interruptible only when the previous one
   * took at least this many seconds; the first of each always is. Default 0: every one. Why: Node
   * hands SIGINT to its watchdog at the start of each interruptible call and back at its end, and
   * a SIGINT that arrives in the microseconds of that hand-over is lost (or, with no handler, ends
   * the process). Steps of milliseconds cross it thousands of times a second, and need no
   * interrupting: the between-batch handler stops them within a step anyway. The CLI uses 0.25.
   */
  interruptibleAfter?: number;
}

/**
 * Where Ctrl-C stopped an `interruptible` run. The checkpoint it saves is a state the run really
 * passed through, so `--resume` stays exact:
 *
 * - `step`: batch `batch` was interrupted in its forward or backward pass. The optimizer update,
 *   which alone changes parameters and optimizer buffers, is never interrupted, and `trainStep`
 *   put back the batchnorm statistics the forward pass had replaced: the model is as before the
 *   batch. The checkpoint records the batch as not done (`progress.batch` = `batch`, the sums
 *   without it), and a resumed run does it again.
 * - `evaluation`: the epoch's batches were done and its evaluation was interrupted (evaluation
 *   changes nothing). The checkpoint has `progress.batch` = `batches`: a resumed run does only
 *   the evaluation, then goes on.
 */
export interface Interruption {
  phase: 'step' | 'evaluation';
  /** the epoch (0-based) */
  epoch: number;
  /** the interrupted batch (0-based); `batches` for an evaluation */
  batch: number;
  batches: number;
}

/**
 * Where a run's three files go: config.json, metrics.jsonl and checkpoint.safetensors. In Node a
 * run directory (src/train/trainer.ts, which also locks it); in the browser lab, memory the page
 * offers for download. Each write replaces the whole file, atomically where the store can.
 */
export interface RunStore {
  /** the run's place, for messages ('runs/demo/human', 'the lab page') */
  readonly where: string;
  /** the checkpoint's name, for messages */
  readonly checkpointName: string;
  /** Writes config.json. */
  writeConfig(json: string): void;
  /** Writes metrics.jsonl (all epochs so far). */
  writeMetrics(jsonl: string): void;
  /** Writes checkpoint.safetensors. */
  writeCheckpoint(bytes: Uint8Array): void;
  /** the saved checkpoint (for a resume), null when there is none */
  readCheckpoint(): Uint8Array | null;
}

interface Progress {
  /** next batch index within the current epoch */
  batch: number;
  history: EpochRecord[];
  sums: { loss: number; correct: number; seen: number; seconds: number };
}

/** A run's model, data, optimizer, schedule and normalisation. */
export interface Session {
  cfg: RunConfig;
  dataset: Dataset;
  model: ImageClassifier;
  alphas: Tensor[];
  optimizer: SGD;
  scheduler: LRScheduler;
  stats: { mean: number[]; std: number[] };
  baselineGmacs: number;
  /** batches per epoch (the last, partial one is dropped) */
  batches: number;
}

/** Builds a run's model (seeded), its SGD parameter groups (weights; alpha) and cosine schedule. */
export function createSession(cfg: RunConfig, dataset: Dataset): Session {
  checkAlphaRange(cfg);
  const model = buildModel(cfg, dataset.shape, dataset.numClasses, { generator: new Generator(cfg.seed) });
  const alphas = model
    .modules()
    .filter((m): m is DynOPool => m instanceof DynOPool)
    .map((m) => m.alpha);
  const weights = model.parameters().filter((p) => !alphas.includes(p));
  const batches = Math.floor(dataset.train.count / cfg.batchSize);
  if (batches < 1)
    throw new Error(`train: batch size ${cfg.batchSize} is larger than the ${dataset.train.count} training images`);
  const groups: ParamGroupSpec[] = [{ params: weights, name: 'weights' }];
  if (alphas.length) {
    groups.push({
      params: alphas,
      name: 'alpha',
      lr: cfg.alphaLr,
      weightDecay: 0,
      momentum: cfg.alphaMomentum,
      // alpha rests during epochs e < alphaWarmup, then its gradient is clipped; it stays in a box
      warmupSteps: Math.max(0, Math.ceil(cfg.alphaWarmup)) * batches,
      clipGrad: cfg.alphaClip,
      project: [cfg.alphaMin, cfg.alphaMax],
    });
  }
  const optimizer = new SGD(groups, {
    lr: cfg.lr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
    weightDecay: cfg.weightDecay,
  });
  const scheduler = new LRScheduler(optimizer, { kind: 'cosine', total: cfg.epochs * batches });
  const baselineGmacs = countMacs(model, dataset.shape).gmacs;
  return {
    cfg,
    dataset,
    model,
    alphas,
    optimizer,
    scheduler,
    stats: channelStats(dataset.train, dataset.shape),
    baselineGmacs,
    batches,
  };
}

/** Test loss and accuracy in eval mode. */
export function evaluate(
  s: Pick<Session, 'model' | 'dataset' | 'stats'>,
  split: Split = s.dataset.test,
  batchSize = 256,
): { loss: number; acc: number } {
  const { model, dataset } = s;
  const wasTraining = model.training;
  model.eval();
  let loss = 0,
    correct = 0;
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

/** Lets other work (signals, a page's messages) run between batches: setImmediate in Node, a message elsewhere. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else {
      // a message, not setTimeout(0): browsers clamp nested timeouts to 4 ms
      const channel = new MessageChannel();
      const port = channel.port1 as unknown as { onmessage: (() => void) | null; close(): void };
      port.onmessage = () => {
        port.close();
        resolve();
      };
      channel.port2.postMessage(null);
    }
  });

/** What `train` and `trainInto` return. */
export interface TrainResult {
  history: EpochRecord[];
  /** true when stopped early (`shouldStop`, or an interrupt) */
  stopped: boolean;
  /** set when Ctrl-C interrupted a batch or an evaluation (`TrainHooks.interruptible`) */
  interrupted?: Interruption;
  session: Session;
}

/** The first parameter (or buffer) holding NaN or Infinity, or null. */
function nonFiniteState(model: ImageClassifier): string | null {
  for (const [name, t] of Object.entries(model.stateDict())) {
    const v = t.data();
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return `${name}[${i}] = ${v[i]}`;
  }
  return null;
}

/** The error of a diverged run: where, what, and what to try. */
function divergence(cfg: RunConfig, where: string, what: string, lastGood: number | null): Error {
  const kept =
    lastGood === null
      ? `no checkpoint was written (the run diverged in its first epoch)`
      : `the last good checkpoint (epoch ${lastGood}) in ${where} is kept`;
  return new Error(
    `train: ${what}; the run diverged: lower --lr (now ${cfg.lr})${cfg.dynopool ? ` or --alpha-lr (now ${cfg.alphaLr})` : ''}; ${kept}. (--nan-policy ignore trains on regardless.)`,
  );
}

/** Checks the progress record a checkpoint carries in `extra` (it steers the resumed loop). */
function checkProgress(extra: unknown, path: string, epoch: number, batches: number): Progress {
  const fail = (msg: string): never => {
    throw new Error(`train --resume: ${path}: damaged metadata: ${msg}`);
  };
  const p = (extra as { progress?: unknown } | undefined)?.progress as Progress | undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return fail(`extra.progress is missing or not an object (got ${JSON.stringify(p) ?? 'nothing'})`);
  if (!Number.isInteger(p.batch) || p.batch < 0 || p.batch > batches)
    fail(`extra.progress.batch must be an integer in [0, ${batches}], got ${JSON.stringify(p.batch)}`);
  if (
    !Array.isArray(p.history) ||
    p.history.length !== epoch ||
    !p.history.every((r) => typeof r === 'object' && r !== null)
  ) {
    fail(
      `extra.progress.history must be an array of ${epoch} epoch records, got ${JSON.stringify(p.history)?.slice(0, 80)}`,
    );
  }
  for (const key of ['loss', 'correct', 'seen', 'seconds'] as const) {
    const v = (p.sums as Record<string, unknown> | undefined)?.[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`extra.progress.sums.${key} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * Trains `cfg` on `dataset`, writing config.json, metrics.jsonl (after every epoch) and the
 * checkpoint (after every epoch, and when stopped) to `store`. With `resume`, continues from the
 * store's checkpoint. Returns the history and whether it was stopped early. A non-finite loss
 * stops the run with an error (cfg.nanPolicy 'ignore': goes on); the last good checkpoint stays.
 * Node's `train` (src/train/trainer.ts) runs this on a locked run directory.
 */
export async function trainInto(
  cfg: RunConfig,
  dataset: Dataset,
  store: RunStore,
  hooks: TrainHooks = {},
  resume = false,
): Promise<TrainResult> {
  const dir = store.where;
  const s = createSession(cfg, dataset);
  const { model, optimizer, scheduler, batches } = s;
  let epoch = 0;
  let progress: Progress = { batch: 0, history: [], sums: { loss: 0, correct: 0, seen: 0, seconds: 0 } };
  if (resume) {
    const bytes = store.readCheckpoint();
    if (!bytes) throw new Error(`train --resume: no checkpoint at ${store.checkpointName}`);
    const saved = decodeCheckpoint(bytes, { model, optimizer, scheduler }, store.checkpointName);
    const plural = cfg.epochs === 1 ? '' : 's';
    if (saved.epoch > cfg.epochs)
      throw new Error(
        `train --resume: ${store.checkpointName}: damaged metadata: epoch ${saved.epoch} is beyond the run's ${cfg.epochs} epoch${plural}`,
      );
    progress = checkProgress(saved.extra, store.checkpointName, saved.epoch, batches);
    if (saved.epoch === cfg.epochs) {
      throw new Error(
        `train --resume: the run in ${dir} already completed its ${cfg.epochs} epoch${plural}; nothing to resume (evaluate it with: dynopool eval ${dir}; train longer in a new --out)`,
      );
    }
    epoch = saved.epoch;
  } else {
    store.writeConfig(JSON.stringify(cfg, null, 2) + '\n');
  }
  hooks.onStart?.({
    cfg,
    dataset,
    model,
    startEpoch: epoch,
    startBatch: progress.batch,
    baselineGmacs: s.baselineGmacs,
    batches,
    stats: s.stats,
  });
  /** `completed` epochs are done; `progress.batch` batches of the next one */
  const nanPolicy = cfg.nanPolicy ?? 'error';
  /** the epoch of the checkpoint on disk (null: none yet) */
  let lastGood: number | null = resume ? epoch : null;

  const save = (completed: number) => {
    // never let a diverged model replace the last good checkpoint
    const bad = nanPolicy === 'error' ? nonFiniteState(model) : null;
    if (bad)
      throw divergence(
        cfg,
        dir,
        `the model holds a non-finite value (${bad}) ${progress.batch === 0 ? `after epoch ${completed}` : `at epoch ${completed + 1}, batch ${progress.batch}`}`,
        lastGood,
      );
    store.writeCheckpoint(encodeCheckpoint({ model, optimizer, scheduler, epoch: completed, extra: { progress } }));
    lastGood = completed;
  };
  // how long the last step and evaluation took (null before the first): see interruptibleAfter
  let lastStepSeconds: number | null = null,
    lastEvalSeconds: number | null = null;
  const slow = (seconds: number | null) => seconds === null || seconds >= (hooks.interruptibleAfter ?? 0);
  /** Ctrl-C stopped batch b, or the evaluation (b = batches), of `epoch`: progress.batch is b (see Interruption) */
  const interrupted = (phase: Interruption['phase'], b: number): TrainResult => {
    save(epoch);
    return { history: progress.history, stopped: true, session: s, interrupted: { phase, epoch, batch: b, batches } };
  };

  for (; epoch < cfg.epochs; epoch++) {
    const order = epochOrder(dataset.train.count, cfg.seed, epoch);
    for (let b = progress.batch; b < batches; b++) {
      const t0 = Date.now();
      const idx = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
      const { x, labels } = gather(dataset.train, dataset.shape, idx);
      const g = new Generator(cfg.seed * 7 + epoch * 100_003 + b);
      if (cfg.cropPadding > 0 || cfg.flip)
        augmentBatch(x, idx.length, dataset.shape, { cropPadding: cfg.cropPadding, flip: cfg.flip }, g);
      normalize(x, idx.length, dataset.shape, s.stats.mean, s.stats.std);

      // lambda is relative to the model's GMACs at initialisation
      const lambda = cfg.dynopool && cfg.lambda > 0 ? cfg.lambda / s.baselineGmacs : 0;
      let step: StepResult;
      try {
        const stepBatch = { x: toTensor(x, idx.length, dataset.shape), labels };
        const interruptible = hooks.interruptible && slow(lastStepSeconds);
        const started = Date.now();
        step = trainStep(model, optimizer, stepBatch, { lambda, interruptible });
        lastStepSeconds = (Date.now() - started) / 1000;
      } catch (e) {
        if (e instanceof Interrupted) return interrupted('step', b);
        throw e;
      }
      if (!Number.isFinite(step.loss) && nanPolicy === 'error') {
        throw divergence(
          cfg,
          dir,
          `the loss became ${step.loss} at epoch ${epoch + 1}, batch ${b + 1} (step ${epoch * batches + b + 1})`,
          lastGood,
        );
      }
      scheduler.step();

      progress.sums.loss += step.taskLoss * idx.length;
      progress.sums.correct += step.correct ?? 0;
      progress.sums.seen += idx.length;
      progress.sums.seconds += (Date.now() - t0) / 1000;
      progress.batch = b + 1;
      const ips = progress.sums.seen / Math.max(progress.sums.seconds, 1e-9);
      hooks.onBatch?.({
        epoch,
        batch: b + 1,
        batches,
        loss: progress.sums.loss / progress.sums.seen,
        stepLoss: step.loss,
        stepTaskLoss: step.taskLoss,
        gmacs: step.gmacs,
        sizes: featureMapSizes(model),
        imagesPerSecond: ips,
        etaSeconds: ((batches - b - 1) * cfg.batchSize) / ips,
      });
      await yieldToEventLoop();
      await hooks.between?.();
      if (hooks.shouldStop?.()) {
        save(epoch);
        return { history: progress.history, stopped: true, session: s };
      }
    }
    let test: { loss: number; acc: number };
    try {
      const started = Date.now();
      test = hooks.interruptible && slow(lastEvalSeconds) ? runInterruptibly(() => evaluate(s)) : evaluate(s);
      lastEvalSeconds = (Date.now() - started) / 1000;
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      model.train(); // evaluate's own restore never ran
      return interrupted('evaluation', batches);
    }
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: progress.sums.loss / Math.max(progress.sums.seen, 1),
      trainAcc: progress.sums.correct / Math.max(progress.sums.seen, 1),
      testLoss: test.loss,
      testAcc: test.acc,
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
    store.writeMetrics(progress.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return { history: progress.history, stopped: false, session: s };
}
