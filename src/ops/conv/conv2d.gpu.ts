/**
 * gpu.js kernels for conv2d (float32). One thread per output value of each kernel, gather
 * style (no scatter, so no atomics are needed on any backend):
 *   forward      thread per y[n, oc, oh, ow]: sum over its group's input taps
 *   grad input   thread per dx[n, ic, ih, iw]: sum over the (oc, kh, kw) whose window reads it
 *   grad weight  thread per dw[oc, ic', kh, kw]: sum over n, oh, ow
 * Integer index arithmetic uses floor((a + 0.5) / b), which is exact on every backend (GLSL
 * float division may land a hair below an integer).
 *
 * The 3x3 fast path (stride 1, no dilation, one group: every conv of the paper's VGG and
 * ResNet bodies) pads the input once on the device, so the inner loop has no bounds checks
 * and its nine taps are unrolled:
 *   forward      y = conv3x3(pad(x, P), w)
 *   grad input   dx = conv3x3(pad(dy, 2 - P), w flipped and transposed to [C, OC, 3, 3])
 *   grad weight  thread per dw[oc, ic, kh, kw]: sum over n, oh of a contiguous row product
 */
import * as decl from './conv2d.kernels.js';
import type { ConvGeometry } from './conv2d.kernels.js';
import {
  gpuImpl,
  type GpuKernelImpl,
  release,
  type Constants,
  type KernelCache,
  type KernelData,
} from '../../backend/gpu/runtime.js';
import { padGpu, stridedGpu } from '../movement/movement.gpu.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

function conv2dForwardKernel(this: K, x: Float32Array, w: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const ow = idx - q1 * this.constants.OW;
  const q2 = Math.floor((q1 + 0.5) / this.constants.OH);
  const oh = q1 - q2 * this.constants.OH;
  const n = Math.floor((q2 + 0.5) / this.constants.OC);
  const oc = q2 - n * this.constants.OC;
  const g = Math.floor((oc + 0.5) / this.constants.OCg);
  let sum = 0;
  for (let c = 0; c < this.constants.Cg; c++) {
    for (let kh = 0; kh < this.constants.KH; kh++) {
      const ih = oh * this.constants.SH - this.constants.PH + kh * this.constants.DH;
      if (ih >= 0 && ih < this.constants.H) {
        for (let kw = 0; kw < this.constants.KW; kw++) {
          const iw = ow * this.constants.SW - this.constants.PW + kw * this.constants.DW;
          if (iw >= 0 && iw < this.constants.W) {
            sum +=
              x[((n * this.constants.C + g * this.constants.Cg + c) * this.constants.H + ih) * this.constants.W + iw] *
              w[((oc * this.constants.Cg + c) * this.constants.KH + kh) * this.constants.KW + kw];
          }
        }
      }
    }
  }
  return sum;
}

function conv2dGradInputKernel(this: K, dy: Float32Array, w: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.W);
  const iw = idx - q1 * this.constants.W;
  const q2 = Math.floor((q1 + 0.5) / this.constants.H);
  const ih = q1 - q2 * this.constants.H;
  const n = Math.floor((q2 + 0.5) / this.constants.C);
  const ic = q2 - n * this.constants.C;
  const g = Math.floor((ic + 0.5) / this.constants.Cg);
  const icg = ic - g * this.constants.Cg;
  let sum = 0;
  for (let ocg = 0; ocg < this.constants.OCg; ocg++) {
    const oc = g * this.constants.OCg + ocg;
    for (let kh = 0; kh < this.constants.KH; kh++) {
      const th = ih + this.constants.PH - kh * this.constants.DH;
      const oh = Math.floor((th + 0.5) / this.constants.SH);
      if (th >= 0 && oh * this.constants.SH === th && oh < this.constants.OH) {
        for (let kw = 0; kw < this.constants.KW; kw++) {
          const tw = iw + this.constants.PW - kw * this.constants.DW;
          const ow = Math.floor((tw + 0.5) / this.constants.SW);
          if (tw >= 0 && ow * this.constants.SW === tw && ow < this.constants.OW) {
            sum +=
              dy[((n * this.constants.OC + oc) * this.constants.OH + oh) * this.constants.OW + ow] *
              w[((oc * this.constants.Cg + icg) * this.constants.KH + kh) * this.constants.KW + kw];
          }
        }
      }
    }
  }
  return sum;
}

function conv2dGradWeightKernel(this: K, x: Float32Array, dy: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.KW);
  const kw = idx - q1 * this.constants.KW;
  const q2 = Math.floor((q1 + 0.5) / this.constants.KH);
  const kh = q1 - q2 * this.constants.KH;
  const oc = Math.floor((q2 + 0.5) / this.constants.Cg);
  const icg = q2 - oc * this.constants.Cg;
  const g = Math.floor((oc + 0.5) / this.constants.OCg);
  const ic = g * this.constants.Cg + icg;
  let sum = 0;
  for (let n = 0; n < this.constants.N; n++) {
    for (let oh = 0; oh < this.constants.OH; oh++) {
      const ih = oh * this.constants.SH - this.constants.PH + kh * this.constants.DH;
      if (ih >= 0 && ih < this.constants.H) {
        for (let ow = 0; ow < this.constants.OW; ow++) {
          const iw = ow * this.constants.SW - this.constants.PW + kw * this.constants.DW;
          if (iw >= 0 && iw < this.constants.W) {
            sum +=
              dy[((n * this.constants.OC + oc) * this.constants.OH + oh) * this.constants.OW + ow] *
              x[((n * this.constants.C + ic) * this.constants.H + ih) * this.constants.W + iw];
          }
        }
      }
    }
  }
  return sum;
}

/** y[n, o, i, j] = sum_c sum_{a,b < 3} xp[n, c, i + a, j + b] w[o, c, a, b], with xp already padded. */
function conv3x3Kernel(this: K, xp: Float32Array, w: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const j = idx - q1 * this.constants.OW;
  const q2 = Math.floor((q1 + 0.5) / this.constants.OH);
  const i = q1 - q2 * this.constants.OH;
  const n = Math.floor((q2 + 0.5) / this.constants.OC);
  const o = q2 - n * this.constants.OC;
  const Wp = this.constants.OW + 2;
  const plane = (this.constants.OH + 2) * Wp;
  let xb = n * this.constants.C * plane + i * Wp + j;
  let wb = o * this.constants.C * 9;
  let sum = 0;
  for (let c = 0; c < this.constants.C; c++) {
    const r1 = xb + Wp;
    const r2 = xb + 2 * Wp;
    sum +=
      xp[xb] * w[wb] +
      xp[xb + 1] * w[wb + 1] +
      xp[xb + 2] * w[wb + 2] +
      xp[r1] * w[wb + 3] +
      xp[r1 + 1] * w[wb + 4] +
      xp[r1 + 2] * w[wb + 5] +
      xp[r2] * w[wb + 6] +
      xp[r2 + 1] * w[wb + 7] +
      xp[r2 + 2] * w[wb + 8];
    xb += plane;
    wb += 9;
  }
  return sum;
}

/** dw[o, c, a, b] = sum_n sum_i sum_j dy[n, o, i, j] xp[n, c, i + a, j + b], with xp already padded. */
function conv3x3GradWeightKernel(this: K, xp: Float32Array, dy: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / 3);
  const b = idx - q1 * 3;
  const q2 = Math.floor((q1 + 0.5) / 3);
  const a = q1 - q2 * 3;
  const o = Math.floor((q2 + 0.5) / this.constants.C);
  const c = q2 - o * this.constants.C;
  const Wp = this.constants.OW + 2;
  const plane = (this.constants.OH + 2) * Wp;
  const dyPlane = this.constants.OH * this.constants.OW;
  let sum = 0;
  for (let n = 0; n < this.constants.N; n++) {
    let d = (n * this.constants.OC + o) * dyPlane;
    let x = (n * this.constants.C + c) * plane + a * Wp + b;
    for (let i = 0; i < this.constants.OH; i++) {
      for (let j = 0; j < this.constants.OW; j++) sum += dy[d + j] * xp[x + j];
      d += this.constants.OW;
      x += Wp;
    }
  }
  return sum;
}

/** Whether the 3x3 fast path applies (and, for the input gradient, its padding 2 - P is >= 0). */
export const isConv3x3 = (g: ConvGeometry): boolean =>
  g.KH === 3 &&
  g.KW === 3 &&
  g.strideH === 1 &&
  g.strideW === 1 &&
  g.dilationH === 1 &&
  g.dilationW === 1 &&
  g.groups === 1 &&
  g.padH <= 2 &&
  g.padW <= 2;

/** x [N, C, H, W] padded by (ph, pw) on the device (no copy when there is nothing to pad). */
function padded(
  k: KernelCache,
  x: KernelData,
  N: number,
  C: number,
  H: number,
  W: number,
  ph: number,
  pw: number,
): KernelData {
  return ph === 0 && pw === 0
    ? x
    : padGpu(
        k,
        x,
        [N, C, H, W],
        [
          [0, 0],
          [0, 0],
          [ph, ph],
          [pw, pw],
        ],
        0,
      );
}

function conv3x3(
  k: KernelCache,
  x: KernelData,
  w: KernelData,
  N: number,
  C: number,
  H: number,
  W: number,
  OC: number,
  ph: number,
  pw: number,
): KernelData {
  const xp = padded(k, x, N, C, H, W, ph, pw);
  const OH = H + 2 * ph - 2,
    OW = W + 2 * pw - 2;
  const y = k.run('conv3x3', conv3x3Kernel, { C, OC, OH, OW }, N * OC * OH * OW, [xp, w]);
  if (xp !== x) release(xp);
  return y;
}

function constantsOf(g: ConvGeometry): Constants {
  return {
    N: g.N,
    C: g.C,
    H: g.H,
    W: g.W,
    OC: g.OC,
    OH: g.OH,
    OW: g.OW,
    KH: g.KH,
    KW: g.KW,
    SH: g.strideH,
    SW: g.strideW,
    PH: g.padH,
    PW: g.padW,
    DH: g.dilationH,
    DW: g.dilationW,
    Cg: g.C / g.groups,
    OCg: g.OC / g.groups,
  };
}

export function conv2dGpu(k: KernelCache, x: KernelData, w: KernelData, g: ConvGeometry): KernelData {
  if (isConv3x3(g)) return conv3x3(k, x, w, g.N, g.C, g.H, g.W, g.OC, g.padH, g.padW);
  return k.run('conv2d', conv2dForwardKernel, constantsOf(g), g.N * g.OC * g.OH * g.OW, [x, w]);
}

export function conv2dGradInputGpu(k: KernelCache, dy: KernelData, w: KernelData, g: ConvGeometry): KernelData {
  if (isConv3x3(g)) {
    // wt[c, o, a, b] = w[o, c, 2 - a, 2 - b]
    const wt = stridedGpu(k, w, [g.C, g.OC, 3, 3], [9, g.C * 9, -3, -1], 8);
    const dx = conv3x3(k, dy, wt, g.N, g.OC, g.OH, g.OW, g.C, 2 - g.padH, 2 - g.padW);
    release(wt);
    return dx;
  }
  return k.run('conv2dGradInput', conv2dGradInputKernel, constantsOf(g), g.N * g.C * g.H * g.W, [dy, w]);
}

export function conv2dGradWeightGpu(k: KernelCache, x: KernelData, dy: KernelData, g: ConvGeometry): KernelData {
  if (isConv3x3(g)) {
    const xp = padded(k, x, g.N, g.C, g.H, g.W, g.padH, g.padW);
    const dw = k.run(
      'conv3x3GradWeight',
      conv3x3GradWeightKernel,
      { N: g.N, C: g.C, OC: g.OC, OH: g.OH, OW: g.OW },
      g.OC * g.C * 9,
      [xp, dy],
    );
    if (xp !== x) release(xp);
    return dw;
  }
  return k.run('conv2dGradWeight', conv2dGradWeightKernel, constantsOf(g), g.OC * (g.C / g.groups) * g.KH * g.KW, [
    x,
    dy,
  ]);
}

export const conv2dGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(decl.conv2dKernel, (k, [x, w], g) => conv2dGpu(k, x, w, g)),
  gpuImpl(decl.conv2dGradInputKernel, (k, [dy, w], g) => conv2dGradInputGpu(k, dy, w, g)),
  gpuImpl(decl.conv2dGradWeightKernel, (k, [x, dy], g) => conv2dGradWeightGpu(k, x, dy, g)),
];
