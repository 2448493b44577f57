/**
 * The wasm backend's implementation table: conv2d forward, its input and weight gradients and
 * batched matmul on the SIMD GEMM of wasm/kernels.ts; the elementwise kernels (binary with
 * broadcasting, unary, where, expand), the fused SGD update, batchnorm, max pooling and
 * DynOPool's sampling (forward, and backward with the size gradients) on its float32 loops. Each
 * implementation copies its float32 operands into the runtime's memory, runs the entry point on
 * one or two threads (split along output pixels, images, weight taps, output columns, elements,
 * channels or planes) and returns a fresh host copy; one that returns null (an op without wasm
 * code) leaves the call to the reference.
 */
import { implTable, type KernelImpl, type KernelShapes } from '../../backend/kernel.js';
import { conv2dGradInputKernel, conv2dGradWeightKernel, conv2dKernel } from '../../ops/conv/conv2d.kernels.js';
import type { ConvGeometry } from '../../ops/conv/conv2d.kernels.js';
import { matmulKernel, type MatmulAttrs } from '../../ops/matmul/matmul.kernels.js';
import type { Kernel } from '../../backend/kernel.js';
import {
  BINARY_KERNELS,
  binaryKernel,
  unaryKernel,
  whereKernel,
  type BinaryKernel,
  type UnaryKernel,
} from '../../ops/elementwise/elementwise.kernels.js';
import {
  batchNormApplyKernel,
  batchNormBackwardKernel,
  batchNormStatsKernel,
  type BatchNormAttrs,
  type BatchNormBackwardAttrs,
} from '../../ops/batchnorm/batchnorm.kernels.js';
import { expandKernel } from '../../ops/movement/movement.kernels.js';
import { maxPool2dGradKernel, maxPool2dKernel, type PoolGeometry } from '../../ops/pool/pool.kernels.js';
import {
  dynoSampleBackwardKernel,
  dynoSampleKernel,
  type DynoGeometry,
} from '../../ops/dynopool/dynosample.kernels.js';
import { axisTaps } from '../../ops/dynopool/dynosample.cpu.js';
import { sgdTerms, sgdUpdateKernel, type SgdAttrs } from '../../ops/optim/sgd.kernels.js';
import { broadcastStrides, sizeOf, type Shape } from '../../tensor/shape.js';
import type { WasmRuntime } from './runtime.js';

/**
 * A wasm implementation: float32 host arrays in, float32 host arrays out, or null when this
 * call's variant (an op it lacks, say) has no wasm code: the backend then runs the reference.
 */
export type WasmKernelFn<A> = (
  rt: WasmRuntime,
  inputs: readonly Float32Array[],
  attrs: A,
  shapes: KernelShapes,
) => Float32Array | readonly Float32Array[] | null;

export type WasmKernelImpl = KernelImpl<WasmKernelFn<never>>;

function wasmImpl<A>(k: Kernel<A>, fn: WasmKernelFn<A>): WasmKernelImpl {
  return { kernel: k as unknown as Kernel<never>, fn: fn as WasmKernelFn<never> };
}

/** The geometry record that the entry points read (wasm/kernels.ts, readGeometry). */
const geometryRecord = (g: ConvGeometry): number[] => [
  g.N,
  g.C,
  g.H,
  g.W,
  g.OC,
  g.KH,
  g.KW,
  g.OH,
  g.OW,
  g.strideH,
  g.strideW,
  g.padH,
  g.padW,
  g.dilationH,
  g.dilationW,
  g.groups,
];

/** Multiply-adds x 2 of a convolution (the same for all three kernels). */
const convFlops = (g: ConvGeometry): number => 2 * g.N * g.OC * (g.C / g.groups) * g.KH * g.KW * g.OH * g.OW;

/**
 * The weights packed once for every image (wasm/kernels.ts, packConvWeights): w_g as the GEMM's
 * left operand, transposed for the input gradient.
 */
function packWeights(rt: WasmRuntime, geo: number, pw: number, g: ConvGeometry, transposed: boolean): number {
  const rows = transposed ? (g.C / g.groups) * g.KH * g.KW : g.OC / g.groups,
    cols = transposed ? g.OC / g.groups : (g.C / g.groups) * g.KH * g.KW;
  const at = rt.alloc(g.groups * Math.ceil(rows / rt.MR) * rt.MR * cols);
  rt.call('packConvWeights', geo, pw, transposed ? 1 : 0, at);
  return at;
}

/**
 * Copies src, [A, B, P] row-major, into dst as [B, A, P] (the batch mode's reordering between
 * [N, OC, P] and [OC, N * P]).
 */
function swapOuter(src: Float32Array, dst: Float32Array, A: number, B: number, P: number): Float32Array {
  let s = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      const d = (b * A + a) * P;
      for (let p = 0; p < P; p++) dst[d + p] = src[s++];
    }
  }
  return dst;
}

/** Copies src, [N, C, P] row-major, into dst as [N, P, C] (every image's C x P transposed). */
function pixelsMajor(src: Float32Array, dst: Float32Array, N: number, C: number, P: number): void {
  for (let n = 0; n < N; n++) {
    const base = n * C * P;
    for (let c = 0; c < C; c++) {
      const s = base + c * P;
      for (let p = 0; p < P; p++) dst[base + p * C + c] = src[s + p];
    }
  }
}

/** Whether a convolution runs in the batch mode: one GEMM over every image's few pixels. */
const batchMode = (rt: WasmRuntime, g: ConvGeometry): boolean => g.OH * g.OW < rt.batchPixels;

export function conv2dWasm(rt: WasmRuntime, x: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array {
  rt.reset();
  const px = rt.put(x),
    pw = rt.put(w);
  const P = g.OH * g.OW,
    size = g.N * g.OC * P;
  const py = rt.alloc(size),
    geo = rt.record(geometryRecord(g));
  const packed = packWeights(rt, geo, pw, g, false);
  if (batchMode(rt, g)) {
    // threads split the columns of y as [OC, N * P]
    rt.split('conv2d', g.N * P, rt.NR, convFlops(g), (lo, hi, t) => [geo, px, pw, py, lo, hi, rt.scratch[t], packed, 1]);
    return swapOuter(rt.f32(py, size), new Float32Array(size), g.OC, g.N, P);
  }
  // threads split every image's output pixels
  rt.split('conv2d', P, rt.NR, convFlops(g), (lo, hi, t) => [geo, px, pw, py, lo, hi, rt.scratch[t], packed, 0]);
  return rt.take(py, size);
}

export function conv2dGradInputWasm(
  rt: WasmRuntime,
  dy: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
): Float32Array {
  rt.reset();
  const P = g.OH * g.OW,
    NP = g.N * P;
  const batched = batchMode(rt, g);
  // the batch mode reads dy as [N * P, OC]
  const pdy = batched ? rt.alloc(dy.length) : rt.put(dy),
    pw = rt.put(w);
  if (batched) pixelsMajor(dy, rt.f32(pdy, dy.length), g.N, g.OC, P);
  const size = g.N * g.C * g.H * g.W;
  const pdx = rt.alloc(size),
    geo = rt.record(geometryRecord(g));
  if (batched) {
    const col = rt.alloc(g.C * g.KH * g.KW * NP);
    const args = (lo: number, hi: number, t: number, phase: number): number[] =>
      [geo, pdy, pdx, lo, hi, rt.scratch[t], col, pw, phase];
    // the GEMM split by colT's columns (taps), then col2im split by images
    const T = (g.C / g.groups) * g.KH * g.KW;
    rt.split('conv2dGradInput', T, rt.NR, convFlops(g), (lo, hi, t) => args(lo, hi, t, 1));
    rt.split('conv2dGradInput', g.N, 1, g.C * g.KH * g.KW * NP, (lo, hi, t) => args(lo, hi, t, 2));
    return rt.take(pdx, size);
  }
  // one col buffer [C/groups * KH * KW, OH * OW] per thread; threads split the images
  const colFloats = (g.C / g.groups) * g.KH * g.KW * g.OH * g.OW;
  const cols = rt.scratch.map(() => rt.alloc(colFloats));
  const packed = packWeights(rt, geo, pw, g, true);
  rt.split('conv2dGradInput', g.N, 1, convFlops(g), (lo, hi, t) => [
    geo,
    pdy,
    pdx,
    lo,
    hi,
    rt.scratch[t],
    cols[t],
    packed,
    0,
  ]);
  return rt.take(pdx, size);
}

export function conv2dGradWeightWasm(
  rt: WasmRuntime,
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
): Float32Array {
  rt.reset();
  const px = rt.put(x),
    pdy = rt.put(dy);
  const T = (g.C / g.groups) * g.KH * g.KW,
    size = g.OC * T;
  const pdw = rt.alloc(size),
    geo = rt.record(geometryRecord(g));
  // threads split the weight's taps (columns of dw)
  rt.split('conv2dGradWeight', T, rt.NR, convFlops(g), (lo, hi, t) => [geo, px, pdy, pdw, lo, hi, rt.scratch[t]]);
  return rt.take(pdw, size);
}

export function matmulWasm(rt: WasmRuntime, a: Float32Array, b: Float32Array, attrs: MatmulAttrs): Float32Array {
  const { B, M, K, N, transA, transB } = attrs;
  if (K === 0) return new Float32Array(B * M * N);
  rt.reset();
  const pa = rt.put(a),
    pb = rt.put(b),
    pc = rt.alloc(B * M * N);
  // element strides of a as [M, K] and b as [K, N], whatever their storage order
  const aRow = transA ? 1 : K,
    aCol = transA ? M : 1;
  const bRow = transB ? 1 : N,
    bCol = transB ? K : 1;
  rt.split('matmul', N, rt.NR, 2 * B * M * N * K, (lo, hi, t) => [
    B,
    M,
    K,
    N,
    pa,
    aRow,
    aCol,
    pb,
    bRow,
    bCol,
    pc,
    lo,
    hi,
    rt.scratch[t],
  ]);
  return rt.take(pc, B * M * N);
}

// ---- elementwise ---------------------------------------------------------------------------

/**
 * The binary ops with a wasm implementation: every binary kernel op but pow (left to the
 * reference), in BINARY_KERNELS's order, which is the order of their codes in wasm/kernels.ts
 * (which adds COPY, for expand, after them). A new op in BINARY_KERNELS needs its code there.
 */
const BINARY_OPS: readonly BinaryKernel[] = BINARY_KERNELS.filter((op) => op !== 'pow');
/** The unary ops with a wasm implementation (exactly rounded in float32), in code order. */
const UNARY_OPS: readonly UnaryKernel[] = ['neg', 'abs', 'relu', 'step', 'sqrt', 'floor', 'sign'];
/** The most dimensions a collapsed broadcast may have (the 16-integer record holds 1 + 3 x 5). */
const MAX_BROADCAST_DIMS = 5;
/** Elementwise kernels touch each value once: weigh an element as this many flops for split. */
const ELEMENT_WEIGHT = 1;

/**
 * The broadcast of a and b to `out` as few dimensions as possible: size-1 dimensions dropped and
 * each dimension merged into its outer neighbour where both operands are contiguous across the
 * two. Rows of [size, a's stride, b's stride] (elements; 0 where broadcast), outermost first,
 * at least one.
 */
export function collapseBroadcast(aShape: Shape, bShape: Shape, out: Shape): [number, number, number][] {
  const sa = broadcastStrides(aShape, out),
    sb = broadcastStrides(bShape, out);
  const dims: [number, number, number][] = [];
  for (let d = 0; d < out.length; d++) {
    if (out[d] === 1) continue;
    const prev = dims[dims.length - 1];
    if (prev && prev[1] === sa[d] * out[d] && prev[2] === sb[d] * out[d]) {
      prev[0] *= out[d];
      prev[1] = sa[d];
      prev[2] = sb[d];
    } else dims.push([out[d], sa[d], sb[d]]);
  }
  if (dims.length === 0) dims.push([1, 0, 0]);
  return dims;
}

export function binaryWasm(
  rt: WasmRuntime,
  op: BinaryKernel | 'copy',
  a: Float32Array,
  b: Float32Array,
  shapes: KernelShapes,
): Float32Array | null {
  const code = op === 'copy' ? BINARY_OPS.length : BINARY_OPS.indexOf(op);
  const dims = collapseBroadcast(shapes.inputs[0], shapes.inputs[1], shapes.outputs[0]);
  if (code < 0 || dims.length > MAX_BROADCAST_DIMS) return null;
  const n = sizeOf(shapes.outputs[0]);
  rt.reset();
  const pa = rt.put(a),
    pb = rt.put(b),
    po = rt.alloc(n);
  const rec = rt.record([dims.length, ...dims.flat()]);
  rt.split('binary', n, 4, n * ELEMENT_WEIGHT, (lo, hi, t) => [code, rec, pa, pb, po, lo, hi, rt.scratch[t]]);
  return rt.take(po, n);
}

/** expand: x broadcast to `shapes.outputs[0]`, the binary kernel's copy op (b is x again, unread). */
export function expandWasm(rt: WasmRuntime, x: Float32Array, shapes: KernelShapes): Float32Array | null {
  if (x.length === 1) {
    // one value everywhere (a scalar operand, such as where's 0): no copy in and out of wasm
    const out = new Float32Array(sizeOf(shapes.outputs[0]));
    return Object.is(x[0], 0) ? out : out.fill(x[0]);
  }
  return binaryWasm(rt, 'copy', x, x, { ...shapes, inputs: [shapes.inputs[0], shapes.inputs[0]] });
}

export function unaryWasm(rt: WasmRuntime, op: UnaryKernel, x: Float32Array): Float32Array | null {
  const code = UNARY_OPS.indexOf(op);
  if (code < 0) return null;
  rt.reset();
  const px = rt.put(x),
    po = rt.alloc(x.length);
  rt.split('unary', x.length, 4, x.length * ELEMENT_WEIGHT, (lo, hi) => [code, px, po, lo, hi]);
  return rt.take(po, x.length);
}

export function whereWasm(rt: WasmRuntime, cond: Float32Array, a: Float32Array, b: Float32Array): Float32Array {
  rt.reset();
  const pc = rt.put(cond),
    pa = rt.put(a),
    pb = rt.put(b),
    po = rt.alloc(a.length);
  rt.split('where', a.length, 4, a.length * ELEMENT_WEIGHT, (lo, hi) => [pc, pa, pb, po, lo, hi]);
  return rt.take(po, a.length);
}

// ---- the fused SGD update ------------------------------------------------------------------

/** The flags of wasm/kernels.ts's sgdUpdate entry: which terms of the update are on. */
const SGD_DECAY = 1,
  SGD_MOMENTUM = 2,
  SGD_BUFFER = 4,
  SGD_NESTEROV = 8;

/**
 * sgdUpdate: [p', buf'] (p' alone when momentum is 0) from p, grad and the buffer when given;
 * the scalars go in as float32 values in the arena (the worker's arguments are integers).
 */
export function sgdUpdateWasm(
  rt: WasmRuntime,
  [p, grad, buf]: readonly Float32Array[],
  a: SgdAttrs,
): Float32Array | Float32Array[] {
  const n = p.length;
  const t = sgdTerms(a, buf !== undefined);
  const flags =
    (t.decay ? SGD_DECAY : 0) |
    (t.momentum ? SGD_MOMENTUM : 0) |
    (t.buffer ? SGD_BUFFER : 0) |
    (t.nesterov ? SGD_NESTEROV : 0);
  rt.reset();
  const pp = rt.put(p),
    pg = rt.put(grad),
    pb = flags & SGD_BUFFER ? rt.put(buf) : 0,
    po = rt.alloc(n),
    pbo = t.momentum ? rt.alloc(n) : 0,
    scalars = rt.put(Float32Array.of(a.weightDecay, a.momentum, 1 - a.dampening, a.lr));
  rt.split('sgdUpdate', n, 4, n * ELEMENT_WEIGHT, (lo, hi) => [pp, pg, pb, po, pbo, scalars, flags, lo, hi]);
  return t.momentum ? [rt.take(po, n), rt.take(pbo, n)] : rt.take(po, n);
}

// ---- batch normalisation -------------------------------------------------------------------

/** Flops-equivalent of a batchnorm pass over `size` values (they decide the thread split). */
const bnWork = (size: number): number => size * ELEMENT_WEIGHT;

export function batchNormStatsWasm(rt: WasmRuntime, x: Float32Array, a: BatchNormAttrs): Float32Array[] {
  const { N, C, HW } = a;
  rt.reset();
  const px = rt.put(x),
    pm = rt.alloc(C),
    pv = rt.alloc(C);
  rt.split('batchNormStats', C, 1, bnWork(x.length), (lo, hi) => [px, pm, pv, N, C, HW, lo, hi]);
  return [rt.take(pm, C), rt.take(pv, C)];
}

export function batchNormApplyWasm(
  rt: WasmRuntime,
  [x, mean, invStd, weight, bias]: readonly Float32Array[],
  a: BatchNormAttrs,
): Float32Array {
  const { N, C, HW } = a;
  rt.reset();
  const px = rt.put(x),
    pm = rt.put(mean),
    pi = rt.put(invStd),
    pw = rt.put(weight),
    pb = rt.put(bias),
    py = rt.alloc(x.length);
  rt.split('batchNormApply', C, 1, bnWork(x.length), (lo, hi) => [px, pm, pi, pw, pb, py, N, C, HW, lo, hi]);
  return rt.take(py, x.length);
}

export function batchNormBackwardWasm(
  rt: WasmRuntime,
  [x, dy, mean, invStd, weight]: readonly Float32Array[],
  a: BatchNormBackwardAttrs,
): Float32Array[] {
  const { N, C, HW, training } = a;
  rt.reset();
  const px = rt.put(x),
    pdy = rt.put(dy),
    pm = rt.put(mean),
    pi = rt.put(invStd),
    pw = rt.put(weight),
    pdx = rt.alloc(x.length),
    pdw = rt.alloc(C),
    pdb = rt.alloc(C);
  rt.split('batchNormBackward', C, 1, 2 * bnWork(x.length), (lo, hi) => [
    px,
    pdy,
    pm,
    pi,
    pw,
    pdx,
    pdw,
    pdb,
    N,
    C,
    HW,
    training ? 1 : 0,
    lo,
    hi,
  ]);
  return [rt.take(pdx, x.length), rt.take(pdw, C), rt.take(pdb, C)];
}

// ---- max pooling ---------------------------------------------------------------------------

/** The pooling record that wasm/kernels.ts reads (its max pooling section). */
const poolRecord = (g: PoolGeometry): number[] => [
  g.H,
  g.W,
  g.OH,
  g.OW,
  g.KH,
  g.KW,
  g.strideH,
  g.strideW,
  g.padH,
  g.padW,
];

/** Comparisons of a max pooling pass (they decide the thread split). */
const poolWork = (g: PoolGeometry): number => g.N * g.C * g.OH * g.OW * g.KH * g.KW * 4;

export function maxPool2dWasm(rt: WasmRuntime, x: Float32Array, g: PoolGeometry): Float32Array {
  const size = g.N * g.C * g.OH * g.OW;
  rt.reset();
  const px = rt.put(x),
    py = rt.alloc(size),
    geo = rt.record(poolRecord(g));
  rt.split('maxPool2d', g.N * g.C, 1, poolWork(g), (lo, hi) => [geo, px, py, lo, hi]);
  return rt.take(py, size);
}

export function maxPool2dGradWasm(rt: WasmRuntime, x: Float32Array, dy: Float32Array, g: PoolGeometry): Float32Array {
  rt.reset();
  const px = rt.put(x),
    pdy = rt.put(dy),
    pdx = rt.alloc(x.length),
    geo = rt.record(poolRecord(g));
  // one f64 accumulator plane (2 float32 slots per value) per thread
  const acc = rt.scratch.map(() => rt.alloc(2 * g.H * g.W));
  rt.split('maxPool2dGrad', g.N * g.C, 1, poolWork(g), (lo, hi, t) => [geo, px, pdy, pdx, acc[t], lo, hi]);
  return rt.take(pdx, x.length);
}

// ---- DynOPool sampling ---------------------------------------------------------------------

/** Bytes of one tap record in wasm/kernels.ts (i32 lo, i32 hi, f64 frac, f64 dSize, f64 1 - frac). */
const TAP_BYTES = 32;

/**
 * The query-coordinate tables of a DynOPool geometry in the runtime's memory: the reference's
 * own taps (axisTaps, so both backends sample the very same points), rows then columns, as
 * float64 records. Returns the byte addresses of the row and column tables.
 */
function dynoTaps(rt: WasmRuntime, g: DynoGeometry): [number, number] {
  const taps = [...axisTaps(g.H, g.OH, g.h), ...axisTaps(g.W, g.OW, g.w)];
  // alloc counts float32 slots (4 bytes)
  const at = rt.alloc((TAP_BYTES / 4) * taps.length);
  const ints = new Int32Array(rt.memory.buffer, at, (TAP_BYTES / 4) * taps.length),
    reals = new Float64Array(rt.memory.buffer, at, (TAP_BYTES / 8) * taps.length);
  taps.forEach((t, k) => {
    ints[(TAP_BYTES / 4) * k] = t.lo;
    ints[(TAP_BYTES / 4) * k + 1] = t.hi;
    reals[(TAP_BYTES / 8) * k + 1] = t.frac;
    reals[(TAP_BYTES / 8) * k + 2] = t.dSize;
    reals[(TAP_BYTES / 8) * k + 3] = 1 - t.frac;
  });
  return [at, at + 2 * g.OH * TAP_BYTES];
}

/**
 * Per thread: its row table of horizontal interpolations (H x 2 OW f64x2, a plane pair's values
 * per entry, wasm/kernels.ts; alloc counts float32 slots).
 */
const dynoTables = (rt: WasmRuntime, g: DynoGeometry): number[] => rt.scratch.map(() => rt.alloc(8 * g.H * g.OW));

/** The DynOPool record that wasm/kernels.ts reads (its DynOPool sampling section). */
const dynoRecord = (g: DynoGeometry): number[] => [g.H, g.W, g.OH, g.OW];

/** Work of a DynOPool pass, about 4 bilinear samples of 4 pixels per cell (decides the split). */
const dynoWork = (g: DynoGeometry): number => g.N * g.C * g.OH * g.OW * 32;

/**
 * The output and its cells' winning points (0 to 3, the op saves them for the backward). Split,
 * the worker takes the upper planes (pairs), started as soon as its part of x is copied in,
 * while this thread copies the rest, computes its share, then faults in the host copies' pages
 * (rt.fresh) while the worker finishes.
 */
export function dynoSampleWasm(rt: WasmRuntime, x: Float32Array, g: DynoGeometry): Float32Array[] {
  const size = g.N * g.C * g.OH * g.OW,
    planes = g.N * g.C,
    HW = g.H * g.W;
  rt.reset();
  const px = rt.alloc(x.length),
    py = rt.alloc(size),
    pwin = rt.alloc(size),
    [rows, cols] = dynoTaps(rt, g),
    geo = rt.record(dynoRecord(g)),
    tables = dynoTables(rt, g);
  const args = (lo: number, hi: number, t: number): number[] => [geo, rows, cols, px, py, pwin, tables[t], lo, hi];
  const mid = Math.round(planes / 4) * 2;
  const parallel = dynoWork(g) >= rt.minParallelFlops && mid > 0 && mid < planes && rt.parallel;
  const at = parallel ? mid : planes;
  if (parallel) {
    rt.f32(px + 4 * at * HW, x.length - at * HW).set(x.subarray(at * HW));
    rt.post('dynoSample', args(at, planes, 1));
  }
  let outs: Float32Array[] | null = null;
  try {
    rt.f32(px, at * HW).set(x.subarray(0, at * HW));
    rt.call('dynoSample', ...args(0, at, 0));
    // while the worker finishes: fault in the pages of the host copies
    if (parallel) outs = [rt.fresh(size), rt.fresh(size)];
  } finally {
    if (parallel) rt.join('dynoSample');
  }
  return outs ? [rt.copyOut(py, outs[0]), rt.copyOut(pwin, outs[1])] : [rt.take(py, size), rt.take(pwin, size)];
}

/**
 * dx and the size gradients dh, dw (as 1-element arrays). Each thread takes whole planes: dx
 * and the plane's own sums (in wasm/kernels.ts), which are then added here in plane order, the
 * reference's order (dynosample.cpu.ts), so the split does not change a bit. Split, the worker
 * takes the upper planes, started as soon as its part of x is copied in; this thread copies the
 * rest, computes its share, then faults in the pages of dx's host copy (rt.fresh) while the
 * worker finishes.
 */
export function dynoSampleBackwardWasm(
  rt: WasmRuntime,
  x: Float32Array,
  dy: Float32Array,
  win: Float32Array,
  g: DynoGeometry,
): Float32Array[] {
  const planes = g.N * g.C,
    HW = g.H * g.W;
  rt.reset();
  const pdy = rt.put(dy),
    pwin = rt.put(win),
    pdx = rt.alloc(x.length),
    px = rt.alloc(x.length),
    [rows, cols] = dynoTaps(rt, g),
    geo = rt.record(dynoRecord(g));
  // one f64 accumulator plane per thread, and each plane's (dh, dw) sums (2 f64)
  const acc = rt.scratch.map(() => rt.alloc(2 * HW));
  const sums = rt.alloc(4 * planes);
  const args = (t: number, lo: number, hi: number): number[] => [
    geo,
    rows,
    cols,
    px,
    pdy,
    pwin,
    pdx,
    acc[t],
    sums,
    lo,
    hi,
  ];
  const mid = Math.round(planes / 2);
  const parallel = dynoWork(g) >= rt.minParallelFlops && mid > 0 && mid < planes && rt.parallel;
  const at = parallel ? mid : planes;
  if (parallel) {
    rt.f32(px + 4 * at * HW, x.length - at * HW).set(x.subarray(at * HW));
    rt.post('dynoSampleBackward', args(1, at, planes));
  }
  let dx: Float32Array | null = null;
  try {
    rt.f32(px, at * HW).set(x.subarray(0, at * HW));
    rt.call('dynoSampleBackward', ...args(0, 0, at));
    // while the worker finishes: fault in the pages of dx's host copy
    if (parallel) dx = rt.fresh(x.length);
  } finally {
    if (parallel) rt.join('dynoSampleBackward');
  }
  const planeSums = new Float64Array(rt.memory.buffer, sums, 2 * planes);
  let dh = 0,
    dw = 0;
  for (let q = 0; q < planes; q++) {
    dh += planeSums[2 * q];
    dw += planeSums[2 * q + 1];
  }
  return [dx ? rt.copyOut(pdx, dx) : rt.take(pdx, x.length), Float32Array.of(dh), Float32Array.of(dw)];
}

export const wasmKernelImpls: readonly WasmKernelImpl[] = [
  wasmImpl(conv2dKernel, (rt, [x, w], g) => conv2dWasm(rt, x, w, g)),
  wasmImpl(conv2dGradInputKernel, (rt, [dy, w], g) => conv2dGradInputWasm(rt, dy, w, g)),
  wasmImpl(conv2dGradWeightKernel, (rt, [x, dy], g) => conv2dGradWeightWasm(rt, x, dy, g)),
  wasmImpl(matmulKernel, (rt, [a, b], attrs) => matmulWasm(rt, a, b, attrs)),
  wasmImpl(binaryKernel, (rt, [a, b], { op }, shapes) => binaryWasm(rt, op, a, b, shapes)),
  wasmImpl(unaryKernel, (rt, [x], { op }) => unaryWasm(rt, op, x)),
  wasmImpl(whereKernel, (rt, [c, a, b]) => whereWasm(rt, c, a, b)),
  wasmImpl(expandKernel, (rt, [x], _, shapes) => expandWasm(rt, x, shapes)),
  wasmImpl(batchNormStatsKernel, (rt, [x], attrs) => batchNormStatsWasm(rt, x, attrs)),
  wasmImpl(batchNormApplyKernel, (rt, inputs, attrs) => batchNormApplyWasm(rt, inputs, attrs)),
  wasmImpl(batchNormBackwardKernel, (rt, inputs, attrs) => batchNormBackwardWasm(rt, inputs, attrs)),
  wasmImpl(maxPool2dKernel, (rt, [x], g) => maxPool2dWasm(rt, x, g)),
  wasmImpl(maxPool2dGradKernel, (rt, [x, dy], g) => maxPool2dGradWasm(rt, x, dy, g)),
  wasmImpl(dynoSampleKernel, (rt, [x], g) => dynoSampleWasm(rt, x, g)),
  wasmImpl(dynoSampleBackwardKernel, (rt, [x, dy, win], g) => dynoSampleBackwardWasm(rt, x, dy, win, g)),
  wasmImpl(sgdUpdateKernel, (rt, inputs, attrs) => sgdUpdateWasm(rt, inputs, attrs)),
];

/** Every kernel with a wasm implementation, by kernel name. */
export const wasmKernels: ReadonlyMap<string, WasmKernelFn<never>> = implTable(wasmKernelImpls);
