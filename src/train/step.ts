/**
 * One training step (paper eq. 8): forward, loss, backward, optimizer update.
 *
 *   L_total = L_task + lambda * L_GMACs
 *
 * with L_task the cross-entropy of the logits and L_GMACs the GMACs loss of the same forward
 * pass (eq. 7; `ImageClassifier.forwardWithCost`). Everything alpha needs beyond plain SGD
 * (warmup, gradient clip, projection into a box) lives in its optimizer parameter group, so
 * this is the whole step: the trainer, the tests and the benchmarks all call it.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { keep, tidy, unkeep } from '../backend/memory.js';
import { gmacsLoss } from '../nn/complexity.js';
import type { ImageClassifier } from '../nn/models/common.js';
import type { Optimizer } from '../nn/optim/optimizer.js';
import { stack } from '../ops/movement/movement.js';
import { crossEntropy } from '../ops/softmax/softmax.js';
import type { Tensor } from '../tensor/tensor.js';
import { Interrupted, runInterruptibly } from './interrupt.js';

/** One batch: images and their class indices. */
export interface StepBatch {
  /** images [N, C, H, W] */
  readonly x: Tensor;
  /** class indices, one per image */
  readonly labels: readonly number[] | Int32Array;
}

/** Options of `trainStep`. */
export interface StepOptions {
  /**
   * lambda of eq. 8, the weight of L_GMACs (in GMACs per image); 0 (the default) trains on the
   * task loss alone, and then L_GMACs is not part of the graph at all.
   */
  lambda?: number;
  /**
   * Count the correct top-1 predictions (default true). On a gpu device this reads the logits
   * back to the host, a second transfer beside the loss; pass false to skip it.
   */
  accuracy?: boolean;
  /**
   * Let Ctrl-C (SIGINT) stop the step at once (`runInterruptibly`, src/train/interrupt.ts); the
   * trainer sets it for the CLI. Only the forward and backward pass can be interrupted, never
   * the optimizer update, so an interrupt never leaves a half-updated model: `trainStep` puts back
   * the batchnorm statistics the forward pass had replaced (and the modules' training flags) and
   * throws `Interrupted`, the model and the optimizer exactly as before the call. A SIGINT during
   * the update (short: one pass over the parameters) reaches the process's own handlers after the
   * step. Default false.
   */
  interruptible?: boolean;
}

/** What one `trainStep` measured (losses before the update, accuracy, batch size). */
export interface StepResult {
  /** L_total of this step, before the update */
  loss: number;
  /** L_task (cross-entropy, mean over the batch) */
  taskLoss: number;
  /** L_GMACs: the model's GMACs per image at this step's sizes */
  gmacs: number;
  /** correct top-1 predictions in the batch (null when `accuracy: false`) */
  correct: number | null;
  /** images in the batch */
  count: number;
}

/** Top-1 hits of row-major logits [N, classes] against the labels. */
export function argmaxCorrect(logits: Float32Array | Float64Array, labels: ArrayLike<number>, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/**
 * Trains `model` on one batch: zeroes the gradients, runs the forward pass, builds
 * L_task + lambda * L_GMACs, backpropagates and steps `optimizer`, all inside one `tidy` scope
 * (on gpu.js GL modes it frees the step's textures; parameters and optimizer buffers are kept).
 * The model should be in training mode. Returns the step's numbers for the caller to record.
 */
export function trainStep(
  model: ImageClassifier,
  optimizer: Optimizer,
  batch: StepBatch,
  opts: StepOptions = {},
): StepResult {
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0)) throw new Error(`trainStep: lambda must be >= 0, got ${lambda}`);
  return tidy(() => {
    optimizer.zeroGrad();
    const forwardBackward = () => {
      const out = model.forwardWithCost(batch.x);
      const task = crossEntropy(out.logits, batch.labels);
      const loss = lambda > 0 ? task.add(gmacsLoss(model, out).mul(lambda)) : task;
      loss.backward();
      return { out, task, loss };
    };
    const { out, task, loss } = opts.interruptible ? interruptibly(model, forwardBackward) : forwardBackward();
    optimizer.step();
    // both losses in one read: on a gpu device each read of a device value is a transfer
    const [total, taskLoss] = loss === task ? [task.item(), task.item()] : stack([loss, task]).data();
    const [classes] = out.logits.shape.slice(-1);
    return {
      loss: total,
      taskLoss,
      gmacs: out.gmacs.item(),
      correct: (opts.accuracy ?? true) ? argmaxCorrect(out.logits.data(), batch.labels, classes) : null,
      count: batch.labels.length,
    };
  });
}

/**
 * Runs the forward and backward pass `fn` with `runInterruptibly`. On an interrupt, puts back
 * what the pass changed in the model before rethrowing: its buffers (the forward pass assigns new
 * batchnorm statistics) and its modules' training flags (a `finally` that restores them never
 * ran). Gradients are left as they are: the next step's `zeroGrad` clears them.
 */
function interruptibly<T>(model: ImageClassifier, fn: () => T): T {
  const buffers = model.namedBuffers().map(([, t]) => t);
  const modules = model.modules();
  const modes = modules.map((m) => m.training);
  // copies of the values, owned here (a reference to the old storage would do on the reference
  // backend, but on a gpu device the assign that replaces it may hand it to a scope to release)
  const before = keep(noGrad(() => buffers.map((t) => t.detach().mul(1))));
  try {
    return runInterruptibly(fn);
  } catch (e) {
    if (e instanceof Interrupted) {
      buffers.forEach((t, i) => t.assign(before[i]));
      modules.forEach((m, i) => {
        m.training = modes[i];
      });
    }
    throw e;
  } finally {
    unkeep(before);
  }
}
