/**
 * CPU reference kernels for DynOPool's sampling (see dynopool.ts for the math and conventions).
 *
 * Each output row i has two query rows u(i, -), u(i, +); each output column j two query columns
 * v(j, -), v(j, +). An output cell is the max over the 4 points (u, v) of the border-replicated
 * bilinear interpolation of its input plane.
 *
 * Non-finite values (as PyTorch's grid_sample, and max pooling): a sample is the weighted sum of
 * its distinct pixels (2 per axis, 1 where the border clamps the coordinate, lo = hi), so an
 * in-range pixel weighted 0 still counts (0 * NaN and 0 * Inf are NaN) and an Inf between finite
 * pixels stays Inf; a NaN sample wins its cell (the first NaN in the point order),
 * and the gradient goes to that point's pixels as for any winner.
 */
import { cpuImpl, scalarLike, type CpuKernelImpl } from '../../backend/kernel.js';
import * as decl from './dynosample.kernels.js';
import type { DynoGeometry } from './dynosample.kernels.js';
import { allocate, dtypeOf, fromFloat64, type TypedArray } from '../../tensor/dtype.js';

/** One query coordinate along one axis, with everything the kernels need about it. */
export interface Tap {
  /** lower and upper pixel (equal at the clamped border) */
  lo: number;
  hi: number;
  /** interpolation weight of `hi` */
  frac: number;
  /** d coordinate / d size (h or w), times 1 if the coordinate is in the differentiable range, else 0 */
  dSize: number;
}

/**
 * Query coordinates for an axis of `inLen` input pixels sampled to `outLen` cells with
 * continuous size `size`: u(i, s) = (inLen / size) * (i + 1/2 + s/4) - 1/2, s = -1 then +1.
 * Returns 2 * outLen taps: [i*2] is the minus point, [i*2 + 1] the plus point.
 *
 * Border: the coordinate is clamped to [0, inLen - 1] (replicate padding). Derivatives are
 * taken from the right at kinks: a coordinate in [0, inLen - 1) moves its sample; one below 0
 * or at/after inLen - 1 does not (dSize = 0).
 */
export function axisTaps(inLen: number, outLen: number, size: number): Tap[] {
  const taps: Tap[] = [];
  const scale = inLen / size;
  for (let i = 0; i < outLen; i++) {
    for (const s of [-1, 1]) {
      const t = i + 0.5 + s * 0.25;
      const u = scale * t - 0.5;
      const uc = Math.min(Math.max(u, 0), inLen - 1);
      const lo = Math.floor(uc);
      const hi = Math.min(lo + 1, inLen - 1);
      const moving = u >= 0 && u < inLen - 1;
      taps.push({ lo, hi, frac: uc - lo, dSize: moving ? (-inLen / (size * size)) * t : 0 });
    }
  }
  return taps;
}

/**
 * Bilinear sample of plane `p` (offset `base`, row length W) at row tap a, column tap b: the
 * weighted sum of 4 pixels.
 */
function bilinear(x: TypedArray, base: number, W: number, a: Tap, b: Tap): number {
  const r0 = base + a.lo * W,
    r1 = base + a.hi * W;
  const top = b.hi === b.lo ? x[r0 + b.lo] : (1 - b.frac) * x[r0 + b.lo] + b.frac * x[r0 + b.hi];
  if (a.hi === a.lo) return top;
  const bottom = b.hi === b.lo ? x[r1 + b.lo] : (1 - b.frac) * x[r1 + b.lo] + b.frac * x[r1 + b.hi];
  return (1 - a.frac) * top + a.frac * bottom;
}

/**
 * Walks every output cell, giving the winning (first maximal) query point's taps, the point
 * k = 2 sa + sb and its value; with `winners` (the forward's), takes the point from there
 * (the value is then NaN: unused).
 */
function forEachWinner(
  x: TypedArray,
  g: DynoGeometry,
  fn: (o: number, base: number, a: Tap, b: Tap, value: number, k: number) => void,
  winners?: TypedArray,
): void {
  const { N, C, H, W, OH, OW } = g;
  const rows = axisTaps(H, OH, g.h);
  const cols = axisTaps(W, OW, g.w);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        if (winners) {
          const k = winners[o];
          const sa = k >= 2 ? 1 : 0;
          fn(o++, base, rows[2 * i + sa], cols[2 * j + k - 2 * sa], NaN, k);
          continue;
        }
        let best = -Infinity,
          ba = rows[2 * i],
          bb = cols[2 * j],
          bk = 0,
          first = true;
        // order (-,-), (-,+), (+,-), (+,+); ties keep the earlier point
        for (let sa = 0; sa < 2; sa++) {
          for (let sb = 0; sb < 2; sb++) {
            const a = rows[2 * i + sa],
              b = cols[2 * j + sb];
            const v = bilinear(x, base, W, a, b);
            if (first || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              ba = a;
              bb = b;
              bk = 2 * sa + sb;
              first = false;
            }
          }
        }
        fn(o++, base, ba, bb, best, bk);
      }
    }
  }
}

/** The output and the winning points k = 2 sa + sb of its cells (the op saves them). */
export function dynoSampleCpu(x: TypedArray, g: DynoGeometry): { y: TypedArray; winners: TypedArray } {
  const y = allocate(dtypeOf(x), g.N * g.C * g.OH * g.OW);
  const winners = allocate(dtypeOf(x), y.length);
  forEachWinner(x, g, (o, _base, _a, _b, v, k) => {
    y[o] = v;
    winners[o] = k;
  });
  return { y, winners };
}

/**
 * One pass over the winners (the forward's) gives both gradients:
 * - dx: each cell's dy is scattered onto the 4 pixels of its winning point, bilinear weights;
 * - d/dh = sum over cells of dy * d bilinear / du * du/dh at the winning point (w likewise),
 *   d bilinear / du = (1 - fv) (x[u1, v0] - x[u0, v0]) + fv (x[u1, v1] - x[u0, v1]).
 *
 * The order of that sum is pinned, so that a backend that splits the planes between threads
 * can reproduce it exactly: each plane's cells are summed in order from +0 (a cell whose
 * du/dh is 0, at a clamped border, adds nothing), then the planes' sums are added in plane
 * order, again from +0.
 */
export function dynoSampleBackwardCpu(
  x: TypedArray,
  dy: TypedArray,
  winners: TypedArray,
  g: DynoGeometry,
): { dx: TypedArray; dh: number; dw: number } {
  const acc = new Float64Array(x.length);
  const W = g.W;
  // the plane being summed (its offset), its running sums, and the sums of the planes before
  let plane = 0,
    ph = 0,
    pw = 0,
    dh = 0,
    dw = 0;
  forEachWinner(
    x,
    g,
    (o, base, a, b) => {
      if (base !== plane) {
        dh += ph;
        dw += pw;
        ph = pw = 0;
        plane = base;
      }
      const d = dy[o];
      const r0 = base + a.lo * W,
        r1 = base + a.hi * W;
      acc[r0 + b.lo] += d * (1 - a.frac) * (1 - b.frac);
      acc[r0 + b.hi] += d * (1 - a.frac) * b.frac;
      acc[r1 + b.lo] += d * a.frac * (1 - b.frac);
      acc[r1 + b.hi] += d * a.frac * b.frac;
      const x00 = x[r0 + b.lo],
        x01 = x[r0 + b.hi],
        x10 = x[r1 + b.lo],
        x11 = x[r1 + b.hi];
      if (a.dSize !== 0) ph += d * a.dSize * ((1 - b.frac) * (x10 - x00) + b.frac * (x11 - x01));
      if (b.dSize !== 0) pw += d * b.dSize * ((1 - a.frac) * (x01 - x00) + a.frac * (x11 - x10));
    },
    winners,
  );
  return { dx: fromFloat64(acc, dtypeOf(x)), dh: dh + ph, dw: dw + pw };
}

export const dynoSampleCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(decl.dynoSampleKernel, ([x], g) => {
    const r = dynoSampleCpu(x, g);
    return [r.y, r.winners];
  }),
  cpuImpl(decl.dynoSampleBackwardKernel, ([x, dy, winners], g) => {
    const r = dynoSampleBackwardCpu(x, dy, winners, g);
    return [r.dx, scalarLike(r.dh, dy), scalarLike(r.dw, dy)];
  }),
];
