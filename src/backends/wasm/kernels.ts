/**
 * The wasm backend's implementation table: conv2d forward, its input and weight gradients and
 * batched matmul on the SIMD GEMM of wasm/kernels.ts. Each implementation copies its float32
 * operands into the runtime's memory, runs the entry point on one or two threads (split along
 * output pixels, images, weight taps or output columns) and returns a fresh host copy.
 */
import { implTable, type KernelImpl, type KernelShapes } from '../../backend/kernel.js';
import { conv2dGradInputKernel, conv2dGradWeightKernel, conv2dKernel } from '../../ops/conv/conv2d.kernels.js';
import type { ConvGeometry } from '../../ops/conv/conv2d.kernels.js';
import { matmulKernel, type MatmulAttrs } from '../../ops/matmul/matmul.kernels.js';
import type { Kernel } from '../../backend/kernel.js';
import type { WasmRuntime } from './runtime.js';

/** A wasm implementation: float32 host arrays in, float32 host arrays out. */
export type WasmKernelFn<A> = (
  rt: WasmRuntime,
  inputs: readonly Float32Array[],
  attrs: A,
  shapes: KernelShapes,
) => Float32Array | readonly Float32Array[];

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

export function conv2dWasm(rt: WasmRuntime, x: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array {
  rt.reset();
  const px = rt.put(x),
    pw = rt.put(w);
  const P = g.OH * g.OW,
    size = g.N * g.OC * P;
  const py = rt.alloc(size),
    geo = rt.record(geometryRecord(g));
  const packed = packWeights(rt, geo, pw, g, false);
  // threads split every image's output pixels
  rt.split('conv2d', P, rt.NR, convFlops(g), (lo, hi, t) => [geo, px, pw, py, lo, hi, rt.scratch[t], packed]);
  return rt.take(py, size);
}

export function conv2dGradInputWasm(
  rt: WasmRuntime,
  dy: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
): Float32Array {
  rt.reset();
  const pdy = rt.put(dy),
    pw = rt.put(w);
  const size = g.N * g.C * g.H * g.W;
  const pdx = rt.alloc(size),
    geo = rt.record(geometryRecord(g));
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

export const wasmKernelImpls: readonly WasmKernelImpl[] = [
  wasmImpl(conv2dKernel, (rt, [x, w], g) => conv2dWasm(rt, x, w, g)),
  wasmImpl(conv2dGradInputKernel, (rt, [dy, w], g) => conv2dGradInputWasm(rt, dy, w, g)),
  wasmImpl(conv2dGradWeightKernel, (rt, [x, dy], g) => conv2dGradWeightWasm(rt, x, dy, g)),
  wasmImpl(matmulKernel, (rt, [a, b], attrs) => matmulWasm(rt, a, b, attrs)),
];

/** Every kernel with a wasm implementation, by kernel name. */
export const wasmKernels: ReadonlyMap<string, WasmKernelFn<never>> = implTable(wasmKernelImpls);
