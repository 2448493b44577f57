/** Kernel declarations of the reductions (implementations: reduce.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';
import { reducedShape } from '../../tensor/shape.js';

/** The reductions with their own kernel. */
export type ReduceKernel = 'sum' | 'max' | 'min';

/** Reduces `axes` (sorted, unique); the result has those axes kept as size 1. */
export const reduceKernel = kernel<{ readonly op: ReduceKernel; readonly axes: readonly number[] }>({
  name: 'reduce',
  placement: 'light',
  outputs: ({ axes }, [x]) => [{ shape: reducedShape(x, axes, true) }],
});
