/** Kernel declarations of the movement family (implementations: movement.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';
import type { Shape } from '../../tensor/shape.js';

/** out = x with its axes reordered: out.shape[i] = x.shape[perm[i]]. */
export const permuteKernel = kernel<{ readonly perm: readonly number[] }>({
  name: 'permute',
  placement: 'light',
  outputs: ({ perm }, [x]) => [{ shape: perm.map((p) => x[p]) }],
});

/** x broadcast to `shape` (NumPy rules, validated by the op). */
export const expandKernel = kernel<{ readonly shape: Shape }>({
  name: 'expand',
  placement: 'light',
  outputs: ({ shape }) => [{ shape }],
});

/** The block of `size` values starting at `begin`. */
export const sliceKernel = kernel<{ readonly begin: readonly number[]; readonly size: readonly number[] }>({
  name: 'slice',
  placement: 'light',
  outputs: ({ size }) => [{ shape: size }],
});

/** x with pads[i] = [before, after] values of `value` around axis i. */
export const padKernel = kernel<{ readonly pads: readonly (readonly [number, number])[]; readonly value: number }>({
  name: 'pad',
  placement: 'light',
  outputs: ({ pads }, [x]) => [{ shape: x.map((d, i) => d + pads[i][0] + pads[i][1]) }],
});

/** The inputs joined along `axis`. */
export const concatKernel = kernel<{ readonly axis: number }>({
  name: 'concat',
  placement: 'light',
  outputs: ({ axis }, shapes) => [
    { shape: shapes[0].map((d, i) => (i === axis ? shapes.reduce((s, t) => s + t[axis], 0) : d)) },
  ],
});
