/**
 * gpu.js kernels for dynoSample (float32). The query taps of every output row and column
 * (lower/upper pixel, weight, d coordinate / d size) are computed once on the host in float64
 * by the same `axisTaps` the CPU reference uses, and passed as small arrays.
 *   forward      thread per y[p, i, j] (p = n * C + c): max over the 4 bilinear samples
 *   grad x       thread per dx[p, r, q], a GATHER: it visits only the cells whose taps touch
 *                row r and column q (host-built lists), recomputes each cell's winning point and
 *                adds dy times that point's bilinear weight on (r, q)
 *   grad size    thread per plane and axis: the plane's sum of dy * d sample / d size; the
 *                host adds the N * C partial sums (a readback of 2 N C numbers)
 * Ties pick the first maximal point in the order (-,-), (-,+), (+,-), (+,+), as the reference.
 */
import type { DynoGeometry } from '../../backend/backend.js';
import type { Constants, KernelCache } from '../../backend/gpu/runtime.js';
import { axisTaps, type Tap } from './dynosample.cpu.js';

interface K { thread: { x: number }; constants: Record<string, number> }

function forwardKernel(this: K, x: Float32Array, rows: Float32Array, cols: Float32Array): number {
  // rows / cols hold 4 numbers per tap: lo, hi, frac, dSize
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const j = idx - q1 * this.constants.OW;
  const p = Math.floor((q1 + 0.5) / this.constants.OH);
  const i = q1 - p * this.constants.OH;
  const base = p * this.constants.H * this.constants.W;
  let best = 0;
  let first = 1;
  for (let sa = 0; sa < 2; sa++) {
    for (let sb = 0; sb < 2; sb++) {
      const a = (2 * i + sa) * 4;
      const b = (2 * j + sb) * 4;
      const r0 = base + rows[a] * this.constants.W;
      const r1 = base + rows[a + 1] * this.constants.W;
      const c0 = cols[b];
      const c1 = cols[b + 1];
      const top = x[r0 + c0] + cols[b + 2] * (x[r0 + c1] - x[r0 + c0]);
      const bottom = x[r1 + c0] + cols[b + 2] * (x[r1 + c1] - x[r1 + c0]);
      const v = top + rows[a + 2] * (bottom - top);
      if (first === 1 || v > best) {
        best = v;
        first = 0;
      }
    }
  }
  return best;
}

function gradXKernel(
  this: K, x: Float32Array, dy: Float32Array, rows: Float32Array, cols: Float32Array,
  rowStart: Float32Array, rowList: Float32Array, colStart: Float32Array, colList: Float32Array,
): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.W);
  const q = idx - q1 * this.constants.W;
  const p = Math.floor((q1 + 0.5) / this.constants.H);
  const r = q1 - p * this.constants.H;
  const base = p * this.constants.H * this.constants.W;
  let sum = 0;
  for (let ka = 0; ka < this.constants.MR; ka++) {
    if (ka < rowStart[r + 1] - rowStart[r]) {
      const rs = rowStart[r];
      const i = rowList[rs + ka];
      for (let kb = 0; kb < this.constants.MC; kb++) {
        if (kb < colStart[q + 1] - colStart[q]) {
          const cs = colStart[q];
          const j = colList[cs + kb];
          let best = 0;
          let wa = 0;
          let wb = 0;
          let first = 1;
          for (let sa = 0; sa < 2; sa++) {
            for (let sb = 0; sb < 2; sb++) {
              const a = (2 * i + sa) * 4;
              const b = (2 * j + sb) * 4;
              const r0 = base + rows[a] * this.constants.W;
              const r1 = base + rows[a + 1] * this.constants.W;
              const c0 = cols[b];
              const c1 = cols[b + 1];
              const top = x[r0 + c0] + cols[b + 2] * (x[r0 + c1] - x[r0 + c0]);
              const bottom = x[r1 + c0] + cols[b + 2] * (x[r1 + c1] - x[r1 + c0]);
              const v = top + rows[a + 2] * (bottom - top);
              if (first === 1 || v > best) {
                best = v;
                wa = a;
                wb = b;
                first = 0;
              }
            }
          }
          let wr = 0;
          if (rows[wa] === r) wr += 1 - rows[wa + 2];
          if (rows[wa + 1] === r) wr += rows[wa + 2];
          let wc = 0;
          if (cols[wb] === q) wc += 1 - cols[wb + 2];
          if (cols[wb + 1] === q) wc += cols[wb + 2];
          sum += dy[(p * this.constants.OH + i) * this.constants.OW + j] * wr * wc;
        }
      }
    }
  }
  return sum;
}

function gradSizeKernel(this: K, x: Float32Array, dy: Float32Array, rows: Float32Array, cols: Float32Array): number {
  const idx = this.thread.x;
  const second = idx >= this.constants.P ? 1 : 0;
  const p = idx - second * this.constants.P;
  const base = p * this.constants.H * this.constants.W;
  let sum = 0;
  for (let i = 0; i < this.constants.OH; i++) {
    for (let j = 0; j < this.constants.OW; j++) {
      let best = 0;
      let wa = 0;
      let wb = 0;
      let first = 1;
      for (let sa = 0; sa < 2; sa++) {
        for (let sb = 0; sb < 2; sb++) {
          const a = (2 * i + sa) * 4;
          const b = (2 * j + sb) * 4;
          const r0 = base + rows[a] * this.constants.W;
          const r1 = base + rows[a + 1] * this.constants.W;
          const c0 = cols[b];
          const c1 = cols[b + 1];
          const top = x[r0 + c0] + cols[b + 2] * (x[r0 + c1] - x[r0 + c0]);
          const bottom = x[r1 + c0] + cols[b + 2] * (x[r1 + c1] - x[r1 + c0]);
          const v = top + rows[a + 2] * (bottom - top);
          if (first === 1 || v > best) {
            best = v;
            wa = a;
            wb = b;
            first = 0;
          }
        }
      }
      const r0 = base + rows[wa] * this.constants.W;
      const r1 = base + rows[wa + 1] * this.constants.W;
      const c0 = cols[wb];
      const c1 = cols[wb + 1];
      const x00 = x[r0 + c0];
      const x01 = x[r0 + c1];
      const x10 = x[r1 + c0];
      const x11 = x[r1 + c1];
      const d = dy[(p * this.constants.OH + i) * this.constants.OW + j];
      if (second === 0) sum += d * rows[wa + 3] * ((1 - cols[wb + 2]) * (x10 - x00) + cols[wb + 2] * (x11 - x01));
      else sum += d * cols[wb + 3] * ((1 - rows[wa + 2]) * (x01 - x00) + rows[wa + 2] * (x11 - x10));
    }
  }
  return sum;
}

const packTaps = (taps: Tap[]): Float32Array => Float32Array.from(taps.flatMap((t) => [t.lo, t.hi, t.frac, t.dSize]));

/** For each input pixel index along an axis, the output indices whose taps touch it (CSR). */
function touching(taps: Tap[], inLen: number): { start: Float32Array; list: Float32Array; max: number } {
  const sets = Array.from({ length: inLen }, () => new Set<number>());
  taps.forEach((t, k) => {
    const out = Math.floor(k / 2);
    sets[t.lo].add(out);
    sets[t.hi].add(out);
  });
  const start = new Float32Array(inLen + 1);
  const list: number[] = [];
  sets.forEach((s, r) => {
    start[r] = list.length;
    list.push(...[...s].sort((a, b) => a - b));
  });
  start[inLen] = list.length;
  return { start, list: Float32Array.from(list.length ? list : [0]), max: Math.max(1, ...sets.map((s) => s.size)) };
}

function geometry(g: DynoGeometry) {
  const rowTaps = axisTaps(g.H, g.OH, g.h), colTaps = axisTaps(g.W, g.OW, g.w);
  const constants: Constants = { H: g.H, W: g.W, OH: g.OH, OW: g.OW, P: g.N * g.C };
  return { rowTaps, colTaps, rows: packTaps(rowTaps), cols: packTaps(colTaps), constants };
}

export function dynoSampleGpu(k: KernelCache, x: Float32Array, g: DynoGeometry): Float32Array {
  const { rows, cols, constants } = geometry(g);
  return k.run('dynoSample', forwardKernel, constants, g.N * g.C * g.OH * g.OW, [x, rows, cols]);
}

export function dynoSampleGradXGpu(k: KernelCache, x: Float32Array, dy: Float32Array, g: DynoGeometry): Float32Array {
  const { rowTaps, colTaps, rows, cols, constants } = geometry(g);
  const tr = touching(rowTaps, g.H), tc = touching(colTaps, g.W);
  return k.run('dynoSampleGradX', gradXKernel, { ...constants, MR: tr.max, MC: tc.max }, x.length,
    [x, dy, rows, cols, tr.start, tr.list, tc.start, tc.list]);
}

export function dynoSampleGradSizeGpu(k: KernelCache, x: Float32Array, dy: Float32Array, g: DynoGeometry): [number, number] {
  const { rows, cols, constants } = geometry(g);
  const partial = k.run('dynoSampleGradSize', gradSizeKernel, constants, 2 * g.N * g.C, [x, dy, rows, cols]);
  let gh = 0, gw = 0;
  for (let p = 0; p < g.N * g.C; p++) { gh += partial[p]; gw += partial[g.N * g.C + p]; }
  return [gh, gw];
}
