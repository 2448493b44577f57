/** Kernel declarations of the elementwise family (implementations: elementwise.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';
import type { DType } from '../../tensor/dtype.js';
import { broadcastShapes } from '../../tensor/shape.js';

/** Elementwise unary kernels. `step(x) = x > 0 ? 1 : 0`, `sign(x)` has sign(0) = 0. */
export type UnaryKernel =
  'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'relu' | 'sigmoid' | 'tanh' | 'floor' | 'round' | 'sign' | 'step';

/** Elementwise binary kernels with NumPy broadcasting. Comparisons return 1 or 0. */
export type BinaryKernel =
  'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'gt' | 'ge' | 'lt' | 'le';

/** x -> f(x), same shape. */
export const unaryKernel = kernel<{ readonly op: UnaryKernel }>({
  name: 'unary',
  placement: 'light',
  outputs: (_, [x]) => [{ shape: x }],
});

/** a op b with NumPy broadcasting. */
export const binaryKernel = kernel<{ readonly op: BinaryKernel }>({
  name: 'binary',
  placement: 'light',
  outputs: ({ op }, [a, b]) => [{ shape: broadcastShapes(op, a, b) }],
});

/** clamp(x, lo, hi) = min(max(x, lo), hi). */
export const clampKernel = kernel<{ readonly lo: number; readonly hi: number }>({
  name: 'clamp',
  placement: 'light',
  outputs: (_, [x]) => [{ shape: x }],
});

/** The values converted to `dtype` (no gpu.js implementation: a conversion on the host). */
export const castKernel = kernel<{ readonly dtype: DType }>({
  name: 'cast',
  placement: 'light',
  outputs: ({ dtype }, [x]) => [{ shape: x, dtype }],
});

/** out[i] = cond[i] !== 0 ? a[i] : b[i], all three of the same shape. */
export const whereKernel = kernel<Record<string, never>>({
  name: 'where',
  placement: 'light',
  outputs: (_, [, a]) => [{ shape: a }],
});

/** leakyRelu(x) = x > 0 ? x : slope * x. */
export const leakyReluKernel = kernel<{ readonly slope: number }>({
  name: 'leakyRelu',
  placement: 'light',
  outputs: (_, [x]) => [{ shape: x }],
});
