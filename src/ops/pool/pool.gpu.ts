/**
 * gpu.js kernels for 2-D max and average pooling (float32, NCHW), gather style:
 *   maxPool2d      thread per output: the window's first maximum (rows, then columns; padding
 *                  never wins), as in the reference
 *   maxPool2dGrad  thread per input pixel: for every window that contains it, recompute that
 *                  window's first maximum and take its dy when the winner is this pixel
 *   avgPool2d      thread per output: window sum / divisor (KH*KW, or the in-bounds count)
 *   avgPool2dGrad  thread per input pixel: sum of dy / divisor over the windows containing it
 */
import {
  gpuImpl,
  type Constants,
  type GpuKernelImpl,
  type KernelCache,
  type KernelData,
} from '../../backend/gpu/runtime.js';
import * as decl from './pool.kernels.js';
import type { PoolGeometry } from './pool.kernels.js';

interface K {
  thread: { x: number };
  constants: Record<string, number>;
}

/** Window (oh, ow): its first maximum (constants.max = 1), or its sum / divisor (max = 0). */
function poolKernel(this: K, x: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.OW);
  const ow = idx - q1 * this.constants.OW;
  const p = Math.floor((q1 + 0.5) / this.constants.OH);
  const oh = q1 - p * this.constants.OH;
  const base = p * this.constants.H * this.constants.W;
  let best = 0;
  let sum = 0;
  let count = 0;
  for (let kh = 0; kh < this.constants.KH; kh++) {
    const ih = oh * this.constants.SH - this.constants.PH + kh;
    if (ih >= 0 && ih < this.constants.H) {
      for (let kw = 0; kw < this.constants.KW; kw++) {
        const iw = ow * this.constants.SW - this.constants.PW + kw;
        if (iw >= 0 && iw < this.constants.W) {
          const v = x[base + ih * this.constants.W + iw];
          if (count === 0 || v > best) best = v;
          sum += v;
          count += 1;
        }
      }
    }
  }
  if (this.constants.max === 1) return best;
  return sum / (this.constants.includePad === 1 ? this.constants.KH * this.constants.KW : count);
}

/**
 * Input pixel (ih0, iw0): over the windows that contain it, dy when it is the window's first
 * maximum (constants.max = 1), or dy / divisor (max = 0; x is not read).
 */
function poolGradKernel(this: K, x: Float32Array, dy: Float32Array): number {
  const idx = this.thread.x;
  const q1 = Math.floor((idx + 0.5) / this.constants.W);
  const iw0 = idx - q1 * this.constants.W;
  const p = Math.floor((q1 + 0.5) / this.constants.H);
  const ih0 = q1 - p * this.constants.H;
  const base = p * this.constants.H * this.constants.W;
  let sum = 0;
  for (let kh0 = 0; kh0 < this.constants.KH; kh0++) {
    const th = ih0 + this.constants.PH - kh0;
    const oh = Math.floor((th + 0.5) / this.constants.SH);
    if (th >= 0 && oh * this.constants.SH === th && oh < this.constants.OH) {
      const h0 = oh * this.constants.SH - this.constants.PH;
      const rows = Math.min(this.constants.H, h0 + this.constants.KH) - Math.max(0, h0);
      for (let kw0 = 0; kw0 < this.constants.KW; kw0++) {
        const tw = iw0 + this.constants.PW - kw0;
        const ow = Math.floor((tw + 0.5) / this.constants.SW);
        if (tw >= 0 && ow * this.constants.SW === tw && ow < this.constants.OW) {
          const g = dy[(p * this.constants.OH + oh) * this.constants.OW + ow];
          if (this.constants.max === 1) {
            // the first maximum of window (oh, ow)
            let best = 0;
            let bestAt = -1;
            for (let kh = 0; kh < this.constants.KH; kh++) {
              const ih = h0 + kh;
              if (ih >= 0 && ih < this.constants.H) {
                for (let kw = 0; kw < this.constants.KW; kw++) {
                  const iw = ow * this.constants.SW - this.constants.PW + kw;
                  if (iw >= 0 && iw < this.constants.W) {
                    const v = x[base + ih * this.constants.W + iw];
                    if (bestAt < 0 || v > best) {
                      best = v;
                      bestAt = ih * this.constants.W + iw;
                    }
                  }
                }
              }
            }
            if (bestAt === ih0 * this.constants.W + iw0) sum += g;
          } else {
            const w0 = ow * this.constants.SW - this.constants.PW;
            const cols = Math.min(this.constants.W, w0 + this.constants.KW) - Math.max(0, w0);
            sum += g / (this.constants.includePad === 1 ? this.constants.KH * this.constants.KW : rows * cols);
          }
        }
      }
    }
  }
  return sum;
}

const constantsOf = (g: PoolGeometry, max: boolean): Constants => ({
  max: max ? 1 : 0,
  H: g.H,
  W: g.W,
  OH: g.OH,
  OW: g.OW,
  KH: g.KH,
  KW: g.KW,
  SH: g.strideH,
  SW: g.strideW,
  PH: g.padH,
  PW: g.padW,
  includePad: g.countIncludePad ? 1 : 0,
});

export function maxPool2dGpu(k: KernelCache, x: KernelData, g: PoolGeometry): KernelData {
  return k.run('pool2d', poolKernel, constantsOf(g, true), g.N * g.C * g.OH * g.OW, [x]);
}

export function maxPool2dGradGpu(k: KernelCache, x: KernelData, dy: KernelData, g: PoolGeometry): KernelData {
  return k.run('pool2dGrad', poolGradKernel, constantsOf(g, true), g.N * g.C * g.H * g.W, [x, dy]);
}

export function avgPool2dGpu(k: KernelCache, x: KernelData, g: PoolGeometry): KernelData {
  return k.run('pool2d', poolKernel, constantsOf(g, false), g.N * g.C * g.OH * g.OW, [x]);
}

export function avgPool2dGradGpu(k: KernelCache, dy: KernelData, g: PoolGeometry): KernelData {
  return k.run('pool2dGrad', poolGradKernel, constantsOf(g, false), g.N * g.C * g.H * g.W, [dy, dy]);
}

export const poolGpuImpls: readonly GpuKernelImpl[] = [
  gpuImpl(decl.maxPool2dKernel, (k, [x], g) => maxPool2dGpu(k, x, g)),
  gpuImpl(decl.maxPool2dGradKernel, (k, [x, dy], g) => maxPool2dGradGpu(k, x, dy, g)),
  gpuImpl(decl.avgPool2dKernel, (k, [x], g) => avgPool2dGpu(k, x, g)),
  gpuImpl(decl.avgPool2dGradKernel, (k, [dy], g) => avgPool2dGradGpu(k, dy, g)),
];
