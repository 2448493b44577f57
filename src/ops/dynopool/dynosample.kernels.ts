/** Kernel declarations of DynOPool's sampling (implementations: dynosample.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';

/**
 * DynOPool sampling geometry: input [N, C, H, W], output [N, C, OH, OW] with OH = round(h),
 * OW = round(w), and the continuous sizes h, w that place the query points.
 */
export interface DynoGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly h: number;
  readonly w: number;
}

/**
 * Forward kernel of `dynoSample`: the output [N, C, round(h), round(w)], and the winners of its
 * cells (same shape, the input's dtype): k = 2 sa + sb in 0..3 for the first maximal query point
 * (row tap sa, column tap sb; order (-,-), (-,+), (+,-), (+,+)). The op saves the winners for
 * the backward, which then need not evaluate the 4 samples of every cell again.
 */
export const dynoSampleKernel = kernel<DynoGeometry>({
  name: 'dynoSample',
  placement: 'heavy',
  outputs: (g) => [{ shape: [g.N, g.C, g.OH, g.OW] }, { shape: [g.N, g.C, g.OH, g.OW] }],
});

/**
 * Inputs x, dy, and the forward's winners. Both gradients of dynoSample from one pass over the
 * winners: dx, and d/dh, d/dw summed over every output cell (row/column counts held fixed), as
 * 0-d outputs.
 */
export const dynoSampleBackwardKernel = kernel<DynoGeometry>({
  name: 'dynoSampleBackward',
  placement: 'heavy',
  outputs: (g) => [{ shape: [g.N, g.C, g.H, g.W] }, { shape: [] }, { shape: [] }],
});
