/**
 * gpu.js kernels of the fused SGD update (float32), one thread per element: one kernel
 * function run twice when there is a momentum buffer, once for buf' (constant out = 1) and once
 * for p' (out = 0; it recomputes buf' in registers). Which terms are on are constants (one
 * compile per combination); the scalars [weightDecay, momentum, 1 - dampening, lr] are a
 * 4-value array, so a changing learning rate compiles nothing new. GLSL's float32 arithmetic is
 * not guaranteed to round each operation as the reference does: parity within FLOAT32_PARITY.
 */
import {
  gpuImpl,
  type GpuKernelImpl,
  type KernelCache,
  type KernelData,
  type GpuThis,
} from '../../backend/gpu/runtime.js';
import { sizeOf } from '../../tensor/shape.js';
import { sgdTerms, sgdUpdateKernel as sgdDecl, type SgdAttrs } from './sgd.kernels.js';

function sgdKernel(this: GpuThis, p: Float32Array, grad: Float32Array, buf: Float32Array, s: Float32Array): number {
  const i = this.thread.x;
  const pv = p[i];
  let g = grad[i];
  if (this.constants.decay === 1) {
    g = g + pv * s[0];
  }
  if (this.constants.momentum === 1) {
    let b = g;
    if (this.constants.buffer === 1) {
      b = buf[i] * s[1] + g * s[2];
    }
    if (this.constants.out === 1) return b;
    if (this.constants.nesterov === 1) {
      g = g + b * s[1];
    } else {
      g = b;
    }
  }
  return pv - g * s[3];
}

/** [p', buf'] (p' alone when momentum is 0); `buf` null: no buffer yet. */
export function sgdUpdateGpu(
  k: KernelCache,
  p: KernelData,
  grad: KernelData,
  buf: KernelData | null,
  n: number,
  a: SgdAttrs,
): KernelData[] {
  const t = sgdTerms(a, buf !== null);
  const flags = { decay: +t.decay, momentum: +t.momentum, buffer: +t.buffer, nesterov: +t.nesterov };
  const s = Float32Array.of(a.weightDecay, a.momentum, 1 - a.dampening, a.lr);
  // without a buffer the kernel reads none: grad stands in for the argument
  const args = [p, grad, buf ?? grad, s];
  const param = k.run('sgdUpdate', sgdKernel, { ...flags, out: 0 }, n, args);
  return t.momentum ? [param, k.run('sgdUpdate', sgdKernel, { ...flags, out: 1 }, n, args)] : [param];
}

/** The gpu.js implementation of the fused SGD update. */
export const sgdGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(sgdDecl, (k, [p, grad, buf], attrs, s) => sgdUpdateGpu(k, p, grad, buf ?? null, sizeOf(s.outputs[0]), attrs)),
];
