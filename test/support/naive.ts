/**
 * Independent, definition-level implementations used as forward oracles in tests: written
 * straight from the formulas with nested index arithmetic, sharing no code with the library
 * (only the test harness of dynopool/testing, for kink margins).
 */
import { dynoSampleMargins } from '../../src/testing/index.js';

/** Direct definition of NCHW conv2d with zero padding. */
export function naiveConv2d(
  x: Float64Array,
  xs: number[],
  w: Float64Array,
  ws: number[],
  o: { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number },
): { out: number[]; shape: number[] } {
  const [N, C, H, W] = xs,
    [OC, Cg, KH, KW] = ws;
  const OH = Math.floor((H + 2 * o.padding[0] - o.dilation[0] * (KH - 1) - 1) / o.stride[0]) + 1;
  const OW = Math.floor((W + 2 * o.padding[1] - o.dilation[1] * (KW - 1) - 1) / o.stride[1]) + 1;
  const out: number[] = [];
  const at = (n: number, c: number, h: number, ww: number) =>
    h < 0 || h >= H || ww < 0 || ww >= W ? 0 : x[((n * C + c) * H + h) * W + ww];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let s = 0;
          const g = Math.floor(oc / (OC / o.groups));
          for (let c = 0; c < Cg; c++)
            for (let p = 0; p < KH; p++)
              for (let q = 0; q < KW; q++) {
                s +=
                  at(
                    n,
                    g * Cg + c,
                    i * o.stride[0] - o.padding[0] + p * o.dilation[0],
                    j * o.stride[1] - o.padding[1] + q * o.dilation[1],
                  ) * w[((oc * Cg + c) * KH + p) * KW + q];
              }
          out.push(s);
        }
  return { out, shape: [N, OC, OH, OW] };
}

/**
 * The design doc's DynOPool sampling, literally; also reports how close each cell is to a kink
 * (the margins come from dynopool/testing's `dynoSampleMargins`, the harness the property tests
 * use to stay away from kinks; the sampled values are computed here, independently).
 */
export function naiveDynoSample(
  x: Float64Array,
  xs: number[],
  h: number,
  w: number,
): {
  out: number[];
  shape: number[];
  minTieGap: number;
  minKinkDistance: number;
} {
  const [N, C, H, W] = xs;
  const n = Math.floor(h + 0.5),
    m = Math.floor(w + 0.5);
  const coord = (i: number, s: number, inLen: number, size: number) => (inLen / size) * (i + 0.5 + s * 0.25) - 0.5;
  const sample = (plane: number, u: number, v: number) => {
    const uc = Math.min(Math.max(u, 0), H - 1),
      vc = Math.min(Math.max(v, 0), W - 1);
    const u0 = Math.floor(uc),
      v0 = Math.floor(vc),
      u1 = Math.min(u0 + 1, H - 1),
      v1 = Math.min(v0 + 1, W - 1);
    const a = uc - u0,
      b = vc - v0;
    const px = (r: number, c: number) => x[plane * H * W + r * W + c];
    return (1 - a) * (1 - b) * px(u0, v0) + (1 - a) * b * px(u0, v1) + a * (1 - b) * px(u1, v0) + a * b * px(u1, v1);
  };
  const out: number[] = [];
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let best = -Infinity;
        for (const su of [-1, 1])
          for (const sv of [-1, 1]) best = Math.max(best, sample(p, coord(i, su, H, h), coord(j, sv, W, w)));
        out.push(best);
      }
  return { out, shape: [N, C, n, m], ...dynoSampleMargins(x, xs, h, w) };
}
