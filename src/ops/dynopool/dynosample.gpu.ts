/**
 * gpu.js kernels for dynoSample (float32). The query taps of every output row and column
 * (lower/upper pixel, weight, d coordinate / d size) are computed once on the host in float64
 * by the same `axisTaps` the CPU reference uses, and passed as small arrays.
 *   forward      two kernels, thread per cell (p, i, j), p = n * C + c: which of its 4
 *                bilinear samples is the largest (the winners, an output the op saves for the
 *                backward), then the winning sample itself (one bilinear sample per cell)
 *   grad x       thread per dx[p, r, q], a GATHER: it visits only the cells whose taps touch
 *                row r and column q (host-built lists) and adds dy times the winning point's
 *                bilinear weight on (r, q)
 *   grad size    thread per plane and axis: the plane's sum of dy * d sample / d size; the
 *                host adds the N * C partial sums (a readback of 2 N C numbers)
 * The backward reads the forward's winners rather than evaluating the 4 samples again.
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
  type Constants,
  type KernelCache,
  type KernelData,
  type GpuThis,
} from '../../backend/gpu/runtime.js';
import { axisTaps, type Tap } from './dynosample.cpu.js';

/**
 * Which query point has the max of the cell's 4 bilinear samples: k = 2 * sa + sb for the point
 * (row tap sa, column tap sb), the first maximal one in the order (-,-), (-,+), (+,-), (+,+).
 * sampleAtKernel then takes its value, and the backward kernels read the winner instead of
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
  if (vbd > best || (vbd !== vbd && best === best)) winner = 3;
  return winner;
}

/**
 * The winning sample of cell (i, j): the bilinear sample at the point k = win[cell], by the same
 * float operations as sampleMaxKernel's (so the value is the one that won there, bit for bit).
 * rowsK / colsK hold the taps per point (see pointTaps): the winner indexes them directly.
 */
function sampleAtKernel(
  this: GpuThis,
  x: Float32Array,
  rowsK: Float32Array,
  colsK: Float32Array,
  win: Float32Array,
): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const j = idx - q1 * this.constants.OW;
  const p = Math.floor((q1 + 0.5) / this.constants.OH);
  const i = q1 - p * this.constants.OH;
  const base = p * this.constants.H * this.constants.W;
  const k = win[idx];
  const a = (4 * i + k) * 4;
  const b = (4 * j + k) * 4;
  const r0 = base + rowsK[a] * this.constants.W;
  const r1 = base + rowsK[a + 1] * this.constants.W;
  const fa = rowsK[a + 2];
  const c0 = colsK[b];
  const c1 = colsK[b + 1];
  const fc = colsK[b + 2];
  let h0 = x[r0 + c0];
  let h1 = x[r1 + c0];
  if (c1 !== c0) {
    h0 = (1 - fc) * x[r0 + c0] + fc * x[r0 + c1];
    h1 = (1 - fc) * x[r1 + c0] + fc * x[r1 + c1];
  }
  let v = h0;
  if (r1 !== r0) v = (1 - fa) * h0 + fa * h1;
  return v;
}

/**
 * dx[p, r, q]: over the cells (i, j) whose taps touch row r and column q, dy times the winner's
 * weight on (r, q). The host-built lists hold, per input index, entries of 5 numbers: the output
 * index, then the weight on this pixel of the tap that each winner k = 0..3 uses (see touching),
 * so the winner indexes its weights directly, with no arithmetic and no branch on it (winners
 * vary from cell to cell: mispredicted branches cost the cpu mode a third of its time).
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
    const e = (rs + ka) * 5;
    const rowBase = (p * this.constants.OH + rowList[e]) * this.constants.OW;
    for (let kb = 0; kb < this.constants.MC; kb++) {
      if (kb >= cn) break;
      const f = (cs + kb) * 5;
      const cell = rowBase + colList[f];
      const k = win[cell] + 1;
      sum += dy[cell] * rowList[e + k] * colList[f + k];
    }
  }
  return sum;
}

/**
 * Per plane p (and axis: the first P outputs are d/dh, the next P d/dw): sum of dy * d sample /
 * d size. rowsK / colsK hold the taps per point (see pointTaps).
 */
function gradSizeKernel(
  this: GpuThis,
  x: Float32Array,
  dy: Float32Array,
  rowsK: Float32Array,
  colsK: Float32Array,
  win: Float32Array,
): number {
  const idx = this.thread.x;
  const second = idx >= this.constants.P ? 1 : 0;
  const p = idx - second * this.constants.P;
  const base = p * this.constants.H * this.constants.W;
  let sum = 0;
  let cell = p * this.constants.OH * this.constants.OW;
  for (let i = 0; i < this.constants.OH; i++) {
    for (let j = 0; j < this.constants.OW; j++) {
      const k = win[cell];
      const a = (4 * i + k) * 4;
      const b = (4 * j + k) * 4;
      const r0 = base + rowsK[a] * this.constants.W;
      const r1 = base + rowsK[a + 1] * this.constants.W;
      const c0 = colsK[b];
      const c1 = colsK[b + 1];
      const x00 = x[r0 + c0];
      const x01 = x[r0 + c1];
      const x10 = x[r1 + c0];
      const x11 = x[r1 + c1];
      // a clamped coordinate does not move (dSize = 0): no term, not 0 * (a NaN difference)
      if (second === 0) {
        if (rowsK[a + 3] !== 0)
          sum += dy[cell] * rowsK[a + 3] * ((1 - colsK[b + 2]) * (x10 - x00) + colsK[b + 2] * (x11 - x01));
      } else {
        if (colsK[b + 3] !== 0)
          sum += dy[cell] * colsK[b + 3] * ((1 - rowsK[a + 2]) * (x01 - x00) + rowsK[a + 2] * (x11 - x10));
      }
      cell += 1;
    }
  }
  return sum;
}

const packTaps = (taps: Tap[]): Float32Array => Float32Array.from(taps.flatMap((t) => [t.lo, t.hi, t.frac, t.dSize]));

/**
 * The taps per point: entry 4 i + k (k = 2 sa + sb, 4 numbers lo, hi, frac, dSize) is the tap
 * that point k of output row i uses, sa for rows (`rows` true), sb for columns.
 */
function pointTaps(taps: Tap[], rows: boolean): Float32Array {
  const out: number[] = [];
  for (let i = 0; 2 * i < taps.length; i++) {
    for (let k = 0; k < 4; k++) {
      const t = taps[2 * i + (rows ? (k >= 2 ? 1 : 0) : k % 2)];
      out.push(t.lo, t.hi, t.frac, t.dSize);
    }
  }
  return Float32Array.from(out);
}

/**
 * For each input pixel index along an axis, the output indices whose taps touch it, as a CSR list
 * of entries (output index, then for the winners k = 0..3 the weight on the pixel of the tap
 * that k uses: tap sa = k >= 2 for rows (`rows` true), sb = k % 2 for columns).
 */
function touching(taps: Tap[], inLen: number, rows: boolean): { start: Float32Array; list: Float32Array; max: number } {
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
    start[r] = list.length / 5;
    for (const out of [...s].sort((a, b) => a - b)) {
      const w0 = weight(taps[2 * out], r),
        w1 = weight(taps[2 * out + 1], r);
      list.push(out, ...(rows ? [w0, w0, w1, w1] : [w0, w1, w0, w1]));
    }
  });
  start[inLen] = list.length / 5;
  return {
    start,
    list: Float32Array.from(list.length ? list : [0, 0, 0, 0, 0]),
    max: Math.max(1, ...sets.map((s) => s.size)),
  };
}

function geometry(g: DynoGeometry) {
  const rowTaps = axisTaps(g.H, g.OH, g.h),
    colTaps = axisTaps(g.W, g.OW, g.w);
  const constants: Constants = { H: g.H, W: g.W, OH: g.OH, OW: g.OW, P: g.N * g.C };
  return {
    rowTaps,
    colTaps,
    rows: packTaps(rowTaps),
    cols: packTaps(colTaps),
    rowsK: pointTaps(rowTaps, true),
    colsK: pointTaps(colTaps, false),
    constants,
  };
}

/** The output and the winners (see sampleMaxKernel and sampleAtKernel). */
export function dynoSampleGpu(k: KernelCache, x: KernelData, g: DynoGeometry): { y: KernelData; win: KernelData } {
  const geo = geometry(g);
  const cells = g.N * g.C * g.OH * g.OW;
  const win = k.run('dynoSampleWinner', sampleMaxKernel, geo.constants, cells, [x, geo.rows, geo.cols]);
  const y = k.run('dynoSampleAt', sampleAtKernel, geo.constants, cells, [x, geo.rowsK, geo.colsK, win]);
  return { y, win };
}

/** Both gradients, from the forward's winners. */
export function dynoSampleBackwardGpu(
  k: KernelCache,
  x: KernelData,
  dy: KernelData,
  win: KernelData,
  g: DynoGeometry,
): { dx: KernelData; dh: number; dw: number } {
  const geo = geometry(g);
  const tr = touching(geo.rowTaps, g.H, true),
    tc = touching(geo.colTaps, g.W, false);
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
    geo.rowsK,
    geo.colsK,
    win,
  ]);
  let dh = 0,
    dw = 0;
  for (let p = 0; p < g.N * g.C; p++) {
    dh += partial[p];
    dw += partial[g.N * g.C + p];
  }
  return { dx, dh, dw };
}

export const dynoSampleGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(decl.dynoSampleKernel, (k, [x], g) => {
    const r = dynoSampleGpu(k, x, g);
    return [r.y, r.win];
  }),
  // the size gradients are summed on the host: host values, not device results
  gpuImpl(decl.dynoSampleBackwardKernel, (k, [x, dy, win], g) => {
    const r = dynoSampleBackwardGpu(k, x, dy, win, g);
    return [r.dx, new HostResult(Float32Array.of(r.dh)), new HostResult(Float32Array.of(r.dw))];
  }),
];
