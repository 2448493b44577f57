/**
 * CPU reference kernels for conv2d (NCHW input, OIHW weight [OC, C / groups, KH, KW]).
 * Direct loops, float64 accumulation, zero padding by skipping out-of-range taps.
 */
import type { ConvGeometry } from '../../backend/backend.js';
import { allocate, dtypeOf, fromFloat64, type TypedArray } from '../../tensor/dtype.js';

/** y[n, oc, oh, ow] = sum_{ic in group(oc), kh, kw} x[n, ic, oh*s - p + kh*d, ...] * w[oc, ic', kh, kw] */
export function conv2dCpu(x: TypedArray, w: TypedArray, g: ConvGeometry): TypedArray {
  const { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups } = g;
  const Cg = C / groups, OCg = OC / groups;
  const out = allocate(dtypeOf(x), N * OC * OH * OW);
  const acc = new Float64Array(OH * OW);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      acc.fill(0);
      const grp = Math.floor(oc / OCg);
      for (let icg = 0; icg < Cg; icg++) {
        const xBase = (n * C + grp * Cg + icg) * H * W;
        const wBase = (oc * Cg + icg) * KH * KW;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wv = w[wBase + kh * KW + kw];
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * strideH - padH + kh * dilationH;
              if (ih < 0 || ih >= H) continue;
              const xRow = xBase + ih * W;
              const aRow = oh * OW;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * strideW - padW + kw * dilationW;
                if (iw >= 0 && iw < W) acc[aRow + ow] += x[xRow + iw] * wv;
              }
            }
          }
        }
      }
      out.set(acc, (n * OC + oc) * OH * OW);
    }
  }
  return out;
}

/** dx[n, ic, ih, iw] = sum over the (oc, kh, kw, oh, ow) taps that read x[n, ic, ih, iw] of dy * w. */
export function conv2dGradInputCpu(dy: TypedArray, w: TypedArray, g: ConvGeometry): TypedArray {
  const { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups } = g;
  const Cg = C / groups, OCg = OC / groups;
  const acc = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const grp = Math.floor(oc / OCg);
      const dyBase = (n * OC + oc) * OH * OW;
      for (let icg = 0; icg < Cg; icg++) {
        const xBase = (n * C + grp * Cg + icg) * H * W;
        const wBase = (oc * Cg + icg) * KH * KW;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wv = w[wBase + kh * KW + kw];
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * strideH - padH + kh * dilationH;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * strideW - padW + kw * dilationW;
                if (iw >= 0 && iw < W) acc[xBase + ih * W + iw] += dy[dyBase + oh * OW + ow] * wv;
              }
            }
          }
        }
      }
    }
  }
  return fromFloat64(acc, dtypeOf(dy));
}

/** dw[oc, ic', kh, kw] = sum_{n, oh, ow} dy[n, oc, oh, ow] * x[n, ic, oh*s - p + kh*d, ...] */
export function conv2dGradWeightCpu(x: TypedArray, dy: TypedArray, g: ConvGeometry): TypedArray {
  const { N, C, H, W, OC, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups } = g;
  const Cg = C / groups, OCg = OC / groups;
  const acc = new Float64Array(OC * Cg * KH * KW);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const grp = Math.floor(oc / OCg);
      const dyBase = (n * OC + oc) * OH * OW;
      for (let icg = 0; icg < Cg; icg++) {
        const xBase = (n * C + grp * Cg + icg) * H * W;
        const wBase = (oc * Cg + icg) * KH * KW;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            let s = 0;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * strideH - padH + kh * dilationH;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * strideW - padW + kw * dilationW;
                if (iw >= 0 && iw < W) s += dy[dyBase + oh * OW + ow] * x[xBase + ih * W + iw];
              }
            }
            acc[wBase + kh * KW + kw] += s;
          }
        }
      }
    }
  }
  return fromFloat64(acc, dtypeOf(x));
}
