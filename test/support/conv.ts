/**
 * Conv2d problems for the kernel parity suites (gpu.js, wasm): a drawn record of per-group
 * channel counts and short names (SH = stride along H, PH = padding, DH = dilation) becomes the
 * ConvGeometry the kernels take, with the output size worked out as conv2d does.
 */
import type { ConvGeometry } from '../../src/ops/kernels.js';

/** A drawn conv2d problem: x [N, groups * cg, H, W], weight [groups * ocg, cg, KH, KW]. */
export interface ConvDraw {
  N: number;
  groups: number;
  cg: number;
  ocg: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  DH: number;
  DW: number;
  seed: number;
}

/** A kernel geometry and the seed of its values. */
export interface ConvCase extends ConvGeometry {
  seed: number;
}

/** Whether the (dilated) kernel fits the padded input, as conv2d requires. */
export const kernelFits = (c: Pick<ConvDraw, 'H' | 'W' | 'KH' | 'KW' | 'PH' | 'PW' | 'DH' | 'DW'>): boolean =>
  c.DH * (c.KH - 1) + 1 <= c.H + 2 * c.PH && c.DW * (c.KW - 1) + 1 <= c.W + 2 * c.PW;

/** The geometry of a drawn problem: OH = floor((H + 2 PH - DH (KH - 1) - 1) / SH) + 1, and so for OW. */
export function convCase(c: ConvDraw): ConvCase {
  return {
    N: c.N,
    C: c.groups * c.cg,
    H: c.H,
    W: c.W,
    OC: c.groups * c.ocg,
    KH: c.KH,
    KW: c.KW,
    OH: Math.floor((c.H + 2 * c.PH - c.DH * (c.KH - 1) - 1) / c.SH) + 1,
    OW: Math.floor((c.W + 2 * c.PW - c.DW * (c.KW - 1) - 1) / c.SW) + 1,
    strideH: c.SH,
    strideW: c.SW,
    padH: c.PH,
    padW: c.PW,
    dilationH: c.DH,
    dilationW: c.DW,
    groups: c.groups,
    seed: c.seed,
  };
}
