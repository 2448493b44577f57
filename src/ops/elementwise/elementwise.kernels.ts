/** Kernel declarations of the elementwise family (implementations: elementwise.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';
import type { DType } from '../../tensor/dtype.js';
import { broadcastShapes } from '../../tensor/shape.js';

/** Elementwise unary kernels. `step(x) = x > 0 ? 1 : 0`, `sign(x)` has sign(0) = 0; relu(NaN) = NaN. */
export type UnaryKernel =
  'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'relu' | 'sigmoid' | 'tanh' | 'floor' | 'round' | 'sign' | 'step';

/**
 * Elementwise binary kernels with NumPy broadcasting. Comparisons return 1 or 0 (0 when either
 * side is NaN); maximum / minimum are NaN when either side is. `reluGrad(x, dy) = x <= 0 ? 0 : dy`
 * is relu's backward in one pass (PyTorch's threshold_backward: a NaN x passes dy through).
 */
export type BinaryKernel = (typeof BINARY_KERNELS)[number];

/** Every binary kernel op (the parity tests iterate it: a new op is checked on every backend). */
export const BINARY_KERNELS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'gt',
  'ge',
  'lt',
  'le',
  'reluGrad',
] as const;

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

/** clamp(x, lo, hi) = min(max(x, lo), hi); clamp(NaN) = NaN. */
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
