/**
 * gpu.js kernels for conv2d (float32). One thread per output value of each kernel, gather
 * style (no scatter, so no atomics are needed on any backend):
 *   forward      thread per y[n, oc, oh, ow]: sum over its group's input taps
 *   grad input   thread per dx[n, ic, ih, iw]: sum over the (oc, kh, kw) whose window reads it
 *   grad weight  thread per dw[oc, ic', kh, kw]: sum over n, oh, ow
 * Integer index arithmetic uses floor((a + 0.5) / b), which is exact on every backend (GLSL
 * float division may land a hair below an integer).
 */
import type { ConvGeometry } from '../../backend/backend.js';
import type { Constants, KernelCache, KernelData } from '../../backend/gpu/runtime.js';

interface K { thread: { x: number }; constants: Record<string, number> }

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
            sum += x[((n * this.constants.C + g * this.constants.Cg + c) * this.constants.H + ih) * this.constants.W + iw]
              * w[((oc * this.constants.Cg + c) * this.constants.KH + kh) * this.constants.KW + kw];
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
            sum += dy[((n * this.constants.OC + oc) * this.constants.OH + oh) * this.constants.OW + ow]
              * w[((oc * this.constants.Cg + icg) * this.constants.KH + kh) * this.constants.KW + kw];
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
            sum += dy[((n * this.constants.OC + oc) * this.constants.OH + oh) * this.constants.OW + ow]
              * x[((n * this.constants.C + ic) * this.constants.H + ih) * this.constants.W + iw];
          }
        }
      }
    }
  }
  return sum;
}

function constantsOf(g: ConvGeometry): Constants {
  return {
    N: g.N, C: g.C, H: g.H, W: g.W, OC: g.OC, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW,
    SH: g.strideH, SW: g.strideW, PH: g.padH, PW: g.padW, DH: g.dilationH, DW: g.dilationW,
    Cg: g.C / g.groups, OCg: g.OC / g.groups,
  };
}

export function conv2dGpu(k: KernelCache, x: KernelData, w: KernelData, g: ConvGeometry): KernelData {
  return k.run('conv2d', conv2dForwardKernel, constantsOf(g), g.N * g.OC * g.OH * g.OW, [x, w]);
}

export function conv2dGradInputGpu(k: KernelCache, dy: KernelData, w: KernelData, g: ConvGeometry): KernelData {
  return k.run('conv2dGradInput', conv2dGradInputKernel, constantsOf(g), g.N * g.C * g.H * g.W, [dy, w]);
}

export function conv2dGradWeightGpu(k: KernelCache, x: KernelData, dy: KernelData, g: ConvGeometry): KernelData {
  return k.run('conv2dGradWeight', conv2dGradWeightKernel, constantsOf(g), g.OC * (g.C / g.groups) * g.KH * g.KW, [x, dy]);
}
