/** Kernel declaration of the fused SGD update (implementations: sgd.cpu.ts / .gpu.ts, and the wasm backend's). */
import { kernel } from '../../backend/kernel.js';

/**
 * The hyperparameters of one SGD update, as the optimizer holds them (plain numbers: each is
 * converted to the tensor's dtype by the kernel, as a scalar operand would be). `weightDecay`
 * and `momentum` switch their terms on when they are non-zero (JavaScript truthiness, NaN
 * counts as zero), as `SGD.update` did.
 */
export interface SgdAttrs {
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
}

/** Which terms of the update are on, from the attributes and whether a buffer input is given. */
export interface SgdTerms {
  readonly decay: boolean;
  readonly momentum: boolean;
  /** the buffer input is read (momentum on, and not the first step) */
  readonly buffer: boolean;
  readonly nesterov: boolean;
}

/** The terms every implementation switches on (the one place that reads the attributes' truthiness). */
export function sgdTerms(a: SgdAttrs, hasBuffer: boolean): SgdTerms {
  const momentum = !!a.momentum;
  return { decay: !!a.weightDecay, momentum, buffer: momentum && hasBuffer, nesterov: momentum && a.nesterov };
}

/**
 * One SGD step for one parameter. Inputs p, grad and, when there is one, the momentum buffer
 * (the input count says: 2 inputs = no buffer yet, the first step); all of p's shape. Outputs:
 * p' and, when `momentum` is non-zero, the new buffer buf' (p's shape both); with momentum 0
 * there is no buffer and p' is the only output.
 *
 *     g    = weightDecay ? grad + p * weightDecay : grad
 *     buf' = buf given ? buf * momentum + g * (1 - dampening) : g
 *     g    = nesterov ? g + buf' * momentum : buf'        (momentum only)
 *     p'   = p - g * lr
 *
 * Exactness: every scalar (weightDecay, momentum, 1 - dampening, lr) is first rounded to the
 * dtype, and every operation's result is rounded to the dtype, so the result equals, bit for
 * bit, the same formula written with tensor ops (each binary op rounds its result).
 */
export const sgdUpdateKernel = kernel<SgdAttrs>({
  name: 'sgdUpdate',
  placement: 'light',
  outputs: ({ momentum }, [p]) => (momentum ? [{ shape: p }, { shape: p }] : [{ shape: p }]),
});
