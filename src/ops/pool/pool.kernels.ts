/** Kernel declarations of 2-D pooling (implementations: pool.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';

/** Pooling window geometry (no dilation), validated by the pooling ops. */
export interface PoolGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  /** avgPool2d only: divide by the full window (true) or by the in-bounds part (false). */
  readonly countIncludePad: boolean;
}

const pooled = (g: PoolGeometry) => [{ shape: [g.N, g.C, g.OH, g.OW] }];
const input = (g: PoolGeometry) => [{ shape: [g.N, g.C, g.H, g.W] }];

/** Max-pooling forward kernel. */
export const maxPool2dKernel = kernel<PoolGeometry>({ name: 'maxPool2d', placement: 'heavy', outputs: pooled });
/** Inputs x, dy: recomputes each window's first maximum from x and routes dy there (a gather per input pixel). */
export const maxPool2dGradKernel = kernel<PoolGeometry>({ name: 'maxPool2dGrad', placement: 'heavy', outputs: input });
/** Average-pooling forward kernel. */
export const avgPool2dKernel = kernel<PoolGeometry>({ name: 'avgPool2d', placement: 'heavy', outputs: pooled });
/** Input dy. */
export const avgPool2dGradKernel = kernel<PoolGeometry>({ name: 'avgPool2dGrad', placement: 'heavy', outputs: input });
