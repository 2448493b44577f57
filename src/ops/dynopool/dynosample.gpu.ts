/**
 * gpu.js kernels for dynoSample (float32). The query taps of every output row and column
 * (lower/upper pixel, weight, d coordinate / d size) are computed once on the host in float64
 * by the same `axisTaps` the CPU reference uses, and passed as small arrays.
 *   forward      thread per cell (p, i, j), p = n * C + c: the max of its 4 bilinear samples;
 *                the same kernel, configured with value = 0, returns which point won instead
 *   grad x       thread per dx[p, r, q], a GATHER: it visits only the cells whose taps touch
 *                row r and column q (host-built lists) and adds dy times the winning point's
 *                bilinear weight on (r, q)
 *   grad size    thread per plane and axis: the plane's sum of dy * d sample / d size; the
 *                host adds the N * C partial sums (a readback of 2 N C numbers)
 * The backward recomputes the winners from x (one kernel call) rather than keeping them from
 * the forward.
 * Ties pick the first maximal point in the order (-,-), (-,+), (+,-), (+,+), as the reference.
 * Non-finite values as the reference (dynosample.cpu.ts): a sample is the weighted sum of its
 * distinct pixels, a NaN sample wins its cell (explicit `v !== v`: `v > best` is false for NaN),
 * and a clamped coordinate (d coordinate / d size = 0) adds nothing to the size gradient.
 */
import * as decl from './dynosample.kernels.js';
import type { DynoGeometry } from './dynosample.kernels.js';
import {
  gpuImpl,
  type GpuKernelImpl,
  HostResult,
  release,
  type Constants,
  type KernelCache,
  type KernelData,
  type GpuThis,
} from '../../backend/gpu/runtime.js';
import { axisTaps, type Tap } from './dynosample.cpu.js';

/**
 * The max of the cell's 4 bilinear samples (constants.value = 1), or which query point wins it
 * (value = 0): k = 2 * sa + sb for the point (row tap sa, column tap sb), the first maximal one
 * in the order (-,-), (-,+), (+,-), (+,+). The backward kernels read the winner instead of
 * re-evaluating the 4 samples.
 *
 * Written out for the 4 points rather than as a loop: each tap is read once (the 2 row taps and
 * 2 column taps of the cell are shared by its points), and the horizontal interpolations of a
 * row are shared by the 2 points on it, so the cpu mode's transpiled JavaScript does about half
 * the loads and arithmetic of a per-point loop.
 */
function sampleMaxKernel(this: GpuThis, x: Float32Array, rows: Float32Array, cols: Float32Array): number {
  // rows / cols hold 4 numbers per tap: lo, hi, frac, dSize
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const j = idx - q1 * this.constants.OW;
  const p = Math.floor((q1 + 0.5) / this.constants.OH);
  const i = q1 - p * this.constants.OH;
  const base = p * this.constants.H * this.constants.W;
  // the row taps (minus: a, plus: b) and column taps (minus: c, plus: d) of the cell
  const a = 8 * i;
  const b = 8 * j;
  const ra0 = base + rows[a] * this.constants.W;
  const ra1 = base + rows[a + 1] * this.constants.W;
  const fa = rows[a + 2];
  const rb0 = base + rows[a + 4] * this.constants.W;
  const rb1 = base + rows[a + 5] * this.constants.W;
  const fb = rows[a + 6];
  const c0 = cols[b];
  const c1 = cols[b + 1];
  const fc = cols[b + 2];
  const d0 = cols[b + 4];
  const d1 = cols[b + 5];
  const fd = cols[b + 6];
  // horizontal interpolations: the weighted sum of the distinct pixels (a clamped tap has lo = hi)
  let ha0c = x[ra0 + c0];
  let ha1c = x[ra1 + c0];
  let hb0c = x[rb0 + c0];
  let hb1c = x[rb1 + c0];
  if (c1 !== c0) {
    ha0c = (1 - fc) * x[ra0 + c0] + fc * x[ra0 + c1];
    ha1c = (1 - fc) * x[ra1 + c0] + fc * x[ra1 + c1];
    hb0c = (1 - fc) * x[rb0 + c0] + fc * x[rb0 + c1];
    hb1c = (1 - fc) * x[rb1 + c0] + fc * x[rb1 + c1];
  }
  let ha0d = x[ra0 + d0];
  let ha1d = x[ra1 + d0];
  let hb0d = x[rb0 + d0];
  let hb1d = x[rb1 + d0];
  if (d1 !== d0) {
    ha0d = (1 - fd) * x[ra0 + d0] + fd * x[ra0 + d1];
    ha1d = (1 - fd) * x[ra1 + d0] + fd * x[ra1 + d1];
    hb0d = (1 - fd) * x[rb0 + d0] + fd * x[rb0 + d1];
    hb1d = (1 - fd) * x[rb1 + d0] + fd * x[rb1 + d1];
  }
  // vertical interpolations: the 4 samples (-,-), (-,+), (+,-), (+,+)
  let vac = ha0c;
  let vad = ha0d;
  if (ra1 !== ra0) {
    vac = (1 - fa) * ha0c + fa * ha1c;
    vad = (1 - fa) * ha0d + fa * ha1d;
  }
  let vbc = hb0c;
  let vbd = hb0d;
  if (rb1 !== rb0) {
    vbc = (1 - fb) * hb0c + fb * hb1c;
    vbd = (1 - fb) * hb0d + fb * hb1d;
  }
  // the first maximal point; a NaN sample replaces a non-NaN best (v > best is false for NaN)
  let best = vac;
  let winner = 0;
  if (vad > best || (vad !== vad && best === best)) {
    best = vad;
    winner = 1;
  }
  if (vbc > best || (vbc !== vbc && best === best)) {
    best = vbc;
    winner = 2;
  }
  if (vbd > best || (vbd !== vbd && best === best)) {
    best = vbd;
    winner = 3;
  }
  return this.constants.value === 1 ? best : winner;
}

/**
 * dx[p, r, q]: over the cells (i, j) whose taps touch row r and column q, dy times the winner's
 * weight on (r, q). The host-built lists hold, per input index, entries (output index, weight of
 * its tap 0 on this pixel, weight of its tap 1), so the winner only picks a weight.
 */
function gradXKernel(
  this: GpuThis,
  dy: Float32Array,
  win: Float32Array,
  rowStart: Float32Array,
  rowList: Float32Array,
  colStart: Float32Array,
  colList: Float32Array,
): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.W);
  const q = idx - q1 * this.constants.W;
  const p = Math.floor((q1 + 0.5) / this.constants.H);
  const r = q1 - p * this.constants.H;
  const rs = rowStart[r];
  const rn = rowStart[r + 1] - rs;
  const cs = colStart[q];
  const cn = colStart[q + 1] - cs;
  let sum = 0;
  // the lists are at most MR and MC long (constant bounds, as GLSL needs); break at their ends
  for (let ka = 0; ka < this.constants.MR; ka++) {
    if (ka >= rn) break;
    const e = (rs + ka) * 3;
    const rowBase = (p * this.constants.OH + rowList[e]) * this.constants.OW;
    for (let kb = 0; kb < this.constants.MC; kb++) {
      if (kb >= cn) break;
      const f = (cs + kb) * 3;
      const cell = rowBase + colList[f];
      // the winner k = 2 sa + sb picks its taps' weights by index, not by branches (winners
      // vary from cell to cell: mispredicted branches cost the cpu mode a third of its time)
      const k = win[cell];
      const sa = Math.floor(k * 0.5 + 0.25);
      sum += dy[cell] * rowList[e + 1 + sa] * colList[f + 1 + k - 2 * sa];
    }
  }
  return sum;
}

/** Per plane p (and axis: the first P outputs are d/dh, the next P d/dw): sum of dy * d sample / d size. */
function gradSizeKernel(
  this: GpuThis,
  x: Float32Array,
  dy: Float32Array,
  rows: Float32Array,
  cols: Float32Array,
  win: Float32Array,
): number {
  const idx = this.thread.x;
  const second = idx >= this.constants.P ? 1 : 0;
  const p = idx - second * this.constants.P;
  const base = p * this.constants.H * this.constants.W;
  let sum = 0;
  for (let i = 0; i < this.constants.OH; i++) {
    for (let j = 0; j < this.constants.OW; j++) {
      const cell = (p * this.constants.OH + i) * this.constants.OW + j;
      const k = win[cell];
      const sa = Math.floor(k * 0.5 + 0.25);
      const a = (2 * i + sa) * 4;
      const b = (2 * j + k - 2 * sa) * 4;
      const r0 = base + rows[a] * this.constants.W;
      const r1 = base + rows[a + 1] * this.constants.W;
      const c0 = cols[b];
      const c1 = cols[b + 1];
      const x00 = x[r0 + c0];
      const x01 = x[r0 + c1];
      const x10 = x[r1 + c0];
      const x11 = x[r1 + c1];
      // a clamped coordinate does not move (dSize = 0): no term, not 0 * (a NaN difference)
      if (second === 0 && rows[a + 3] !== 0)
        sum += dy[cell] * rows[a + 3] * ((1 - cols[b + 2]) * (x10 - x00) + cols[b + 2] * (x11 - x01));
      if (second === 1 && cols[b + 3] !== 0)
        sum += dy[cell] * cols[b + 3] * ((1 - rows[a + 2]) * (x01 - x00) + rows[a + 2] * (x11 - x10));
    }
  }
  return sum;
}

const packTaps = (taps: Tap[]): Float32Array => Float32Array.from(taps.flatMap((t) => [t.lo, t.hi, t.frac, t.dSize]));

/**
 * For each input pixel index along an axis, the output indices whose taps touch it, as a CSR list
 * of entries (output index, weight of its tap 0 on the pixel, weight of its tap 1).
 */
function touching(taps: Tap[], inLen: number): { start: Float32Array; list: Float32Array; max: number } {
  const weight = (t: Tap, r: number) => (t.lo === r ? 1 - t.frac : 0) + (t.hi === r ? t.frac : 0);
  const sets = Array.from({ length: inLen }, () => new Set<number>());
  taps.forEach((t, k) => {
    const out = Math.floor(k / 2);
    sets[t.lo].add(out);
    sets[t.hi].add(out);
  });
  const start = new Float32Array(inLen + 1);
  const list: number[] = [];
  sets.forEach((s, r) => {
    start[r] = list.length / 3;
    for (const out of [...s].sort((a, b) => a - b))
      list.push(out, weight(taps[2 * out], r), weight(taps[2 * out + 1], r));
  });
  start[inLen] = list.length / 3;
  return {
    start,
    list: Float32Array.from(list.length ? list : [0, 0, 0]),
    max: Math.max(1, ...sets.map((s) => s.size)),
  };
}

function geometry(g: DynoGeometry) {
  const rowTaps = axisTaps(g.H, g.OH, g.h),
    colTaps = axisTaps(g.W, g.OW, g.w);
  const constants: Constants = { H: g.H, W: g.W, OH: g.OH, OW: g.OW, P: g.N * g.C };
  return { rowTaps, colTaps, rows: packTaps(rowTaps), cols: packTaps(colTaps), constants };
}

function winners(k: KernelCache, x: KernelData, g: DynoGeometry, geo: ReturnType<typeof geometry>): KernelData {
  return k.run('dynoSampleWinner', sampleMaxKernel, { ...geo.constants, value: 0 }, g.N * g.C * g.OH * g.OW, [
    x,
    geo.rows,
    geo.cols,
  ]);
}

export function dynoSampleGpu(k: KernelCache, x: KernelData, g: DynoGeometry): KernelData {
  const geo = geometry(g);
  return k.run('dynoSample', sampleMaxKernel, { ...geo.constants, value: 1 }, g.N * g.C * g.OH * g.OW, [
    x,
    geo.rows,
    geo.cols,
  ]);
}

/** Both gradients, sharing one winner computation. */
export function dynoSampleBackwardGpu(
  k: KernelCache,
  x: KernelData,
  dy: KernelData,
  g: DynoGeometry,
): { dx: KernelData; dh: number; dw: number } {
  const geo = geometry(g);
  const win = winners(k, x, g, geo);
  const tr = touching(geo.rowTaps, g.H),
    tc = touching(geo.colTaps, g.W);
  const dx = k.run(
    'dynoSampleGradX',
    gradXKernel,
    { ...geo.constants, MR: tr.max, MC: tc.max },
    g.N * g.C * g.H * g.W,
    [dy, win, tr.start, tr.list, tc.start, tc.list],
  );
  const partial = k.runToHost('dynoSampleGradSize', gradSizeKernel, geo.constants, 2 * g.N * g.C, [
    x,
    dy,
    geo.rows,
    geo.cols,
    win,
  ]);
  release(win);
  let dh = 0,
    dw = 0;
  for (let p = 0; p < g.N * g.C; p++) {
    dh += partial[p];
    dw += partial[g.N * g.C + p];
  }
  return { dx, dh, dw };
}

export const dynoSampleGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(decl.dynoSampleKernel, (k, [x], g) => dynoSampleGpu(k, x, g)),
  // the size gradients are summed on the host: host values, not device results
  gpuImpl(decl.dynoSampleBackwardKernel, (k, [x, dy], g) => {
    const r = dynoSampleBackwardGpu(k, x, dy, g);
    return [r.dx, new HostResult(Float32Array.of(r.dh)), new HostResult(Float32Array.of(r.dw))];
  }),
];
