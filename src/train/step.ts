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
import { tidy } from '../backend/memory.js';
import { gmacsLoss } from '../nn/complexity.js';
import type { ImageClassifier } from '../nn/models/common.js';
import type { Optimizer } from '../nn/optim/optimizer.js';
import { stack } from '../ops/movement/movement.js';
import { crossEntropy } from '../ops/softmax/softmax.js';
import type { Tensor } from '../tensor/tensor.js';

export interface StepBatch {
  /** images [N, C, H, W] */
  readonly x: Tensor;
  /** class indices, one per image */
  readonly labels: readonly number[] | Int32Array;
}

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
}

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
    const out = model.forwardWithCost(batch.x);
    const task = crossEntropy(out.logits, batch.labels);
    const loss = lambda > 0 ? task.add(gmacsLoss(model, out).mul(lambda)) : task;
    loss.backward();
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
