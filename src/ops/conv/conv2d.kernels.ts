/** Kernel declarations of 2-D convolution (implementations: conv2d.cpu.ts / .gpu.ts). */
import { kernel } from '../../backend/kernel.js';

/** Everything a 2-D convolution kernel needs, precomputed and validated by the conv2d op. */
export interface ConvGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OC: number;
  readonly KH: number;
  readonly KW: number;
  readonly OH: number;
  readonly OW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly groups: number;
}

/** y [N, OC, OH, OW] from x [N, C, H, W] and weight [OC, C / groups, KH, KW]. */
export const conv2dKernel = kernel<ConvGeometry>({
  name: 'conv2d',
  placement: 'heavy',
  outputs: (g) => [{ shape: [g.N, g.OC, g.OH, g.OW] }],
});

/** dx [N, C, H, W] from dy and the weight. */
export const conv2dGradInputKernel = kernel<ConvGeometry>({
  name: 'conv2dGradInput',
  placement: 'heavy',
  outputs: (g) => [{ shape: [g.N, g.C, g.H, g.W] }],
});

/** dweight [OC, C / groups, KH, KW] from x and dy. */
export const conv2dGradWeightKernel = kernel<ConvGeometry>({
  name: 'conv2dGradWeight',
  placement: 'heavy',
  outputs: (g) => [{ shape: [g.OC, g.C / g.groups, g.KH, g.KW] }],
});
