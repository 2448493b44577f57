/**
 * gpu.js kernel for sum / max / min over a set of axes (float32). The reduced axes are first
 * moved to the end (the movement kernel, skipped when they already are last), then one thread
 * per output folds its contiguous run of R values, accumulating in float32.
 */
import { gpuImpl, release, type GpuKernelImpl, type KernelCache, type KernelData } from '../../backend/gpu/runtime.js';
import { reduceKernel as reduceDecl, type ReduceKernel } from './reduce.kernels.js';
import { sizeOf, type Shape } from '../../tensor/shape.js';
import { permuteGpu } from '../movement/movement.gpu.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

const REDUCE_CODES: Record<ReduceKernel, number> = { sum: 0, max: 1, min: 2 };

function reduceKernel(this: K, x: Float32Array): number {
  const base = this.thread.x * this.constants.R;
  let acc = x[base];
  for (let r = 1; r < this.constants.R; r++) {
    const v = x[base + r];
    if (this.constants.op === 0) acc += v;
    else if (this.constants.op === 1) acc = v > acc ? v : acc;
    else acc = v < acc ? v : acc;
  }
  return acc;
}

export function reduceGpu(
  k: KernelCache,
  op: ReduceKernel,
  x: KernelData,
  shape: Shape,
  axes: readonly number[],
): KernelData {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const trailing = perm.every((p, i) => p === i);
  const moved = trailing ? x : permuteGpu(k, x, shape, perm);
  const R = sizeOf(axes.map((a) => shape[a]));
  const out = k.run('reduce', reduceKernel, { op: REDUCE_CODES[op], R }, sizeOf(kept.map((a) => shape[a])), [moved]);
  if (!trailing) release(moved);
  return out;
}

export const reduceGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(reduceDecl, (k, [x], { op, axes }, s) => reduceGpu(k, op, x, s.inputs[0], axes)),
];
