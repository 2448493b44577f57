/** Kernel declarations of 2-D batch normalisation (implementations: batchnorm.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';

/** x viewed as [N, C, HW] (HW = H * W). */
export interface BatchNormAttrs {
  readonly N: number;
  readonly C: number;
  readonly HW: number;
}

/** Adds the mode: in training mode the statistics are the batch's and dx goes through them. */
export interface BatchNormBackwardAttrs extends BatchNormAttrs {
  readonly training: boolean;
}

/** Input x; outputs the per-channel batch mean and biased variance (each [C]). */
export const batchNormStatsKernel = kernel<BatchNormAttrs>({
  name: 'batchNormStats',
  placement: 'heavy',
  outputs: ({ C }) => [{ shape: [C] }, { shape: [C] }],
});

/** Inputs x, mean, invStd, weight, bias: y = (x - mean) * invStd * weight + bias, per channel. */
export const batchNormApplyKernel = kernel<BatchNormAttrs>({
  name: 'batchNormApply',
  placement: 'heavy',
  outputs: (_, [x]) => [{ shape: x }],
});

/** Inputs x, dy, mean, invStd, weight; outputs dx (x's shape), dweight and dbias ([C]). */
export const batchNormBackwardKernel = kernel<BatchNormBackwardAttrs>({
  name: 'batchNormBackward',
  placement: 'heavy',
  outputs: ({ C }, [x]) => [{ shape: x }, { shape: [C] }, { shape: [C] }],
});
