/**
 * The CPU reference backend: every kernel in plain TypeScript over typed arrays, float64
 * arithmetic (float32 tensors round once per op). It is the oracle the other backends are
 * checked against, so it favours clarity over speed.
 */
import { batchNormApplyCpu, batchNormBackwardCpu, batchNormStatsCpu } from '../ops/batchnorm/batchnorm.cpu.js';
import { conv2dCpu, conv2dGradInputCpu, conv2dGradWeightCpu } from '../ops/conv/conv2d.cpu.js';
import { dynoSampleBackwardCpu, dynoSampleCpu } from '../ops/dynopool/dynosample.cpu.js';
import { binaryCpu, castCpu, clampCpu, unaryCpu, whereCpu } from '../ops/elementwise/elementwise.cpu.js';
import { matmulCpu } from '../ops/matmul/matmul.cpu.js';
import { concatCpu, expandCpu, padCpu, permuteCpu, sliceCpu } from '../ops/movement/movement.cpu.js';
import { avgPool2dCpu, avgPool2dGradCpu, maxPool2dCpu, maxPool2dGradCpu } from '../ops/pool/pool.cpu.js';
import { reduceCpu } from '../ops/reduce/reduce.cpu.js';
import { dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';
import type { Backend, Storage } from './backend.js';

export class HostStorage implements Storage {
  constructor(readonly values: TypedArray) {}
  get dtype(): DType {
    return dtypeOf(this.values);
  }
  get size(): number {
    return this.values.length;
  }
  hostValues(): TypedArray {
    return this.values;
  }
}

const wrap = (values: TypedArray): HostStorage => new HostStorage(values);
/** Any backend's storage, on the host (a device storage reads back once). */
const v = (s: Storage): TypedArray => s.hostValues();

export const referenceBackend: Backend = {
  name: 'reference',
  fromValues: wrap,
  toValues: (x) => v(x).slice(),
  unary: (op, x) => wrap(unaryCpu(op, v(x))),
  clamp: (x, lo, hi) => wrap(clampCpu(v(x), lo, hi)),
  binary: (op, a, as, b, bs, os) => wrap(binaryCpu(op, v(a), as, v(b), bs, os)),
  cast: (x, dtype) => wrap(castCpu(v(x), dtype)),
  where: (c, a, b) => wrap(whereCpu(v(c), v(a), v(b))),
  reduce: (op, x, shape, axes) => wrap(reduceCpu(op, v(x), shape, axes)),
  permute: (x, shape, perm) => wrap(permuteCpu(v(x), shape, perm)),
  expand: (x, shape, outShape) => wrap(expandCpu(v(x), shape, outShape)),
  slice: (x, shape, begin, size) => wrap(sliceCpu(v(x), shape, begin, size)),
  pad: (x, shape, pads, value) => wrap(padCpu(v(x), shape, pads, value)),
  concat: (xs, shapes, axis) => wrap(concatCpu(xs.map(v), shapes, axis)),
  matmul: (a, b, B, M, K, N, ta, tb) => wrap(matmulCpu(v(a), v(b), B, M, K, N, ta, tb)),
  conv2d: (x, w, g) => wrap(conv2dCpu(v(x), v(w), g)),
  conv2dGradInput: (dy, w, g) => wrap(conv2dGradInputCpu(v(dy), v(w), g)),
  conv2dGradWeight: (x, dy, g) => wrap(conv2dGradWeightCpu(v(x), v(dy), g)),
  maxPool2d: (x, g) => wrap(maxPool2dCpu(v(x), g)),
  maxPool2dGrad: (x, dy, g) => wrap(maxPool2dGradCpu(v(x), v(dy), g)),
  avgPool2d: (x, g) => wrap(avgPool2dCpu(v(x), g)),
  avgPool2dGrad: (dy, g) => wrap(avgPool2dGradCpu(v(dy), g)),
  batchNormStats: (x, N, C, HW) => {
    const r = batchNormStatsCpu(v(x), N, C, HW);
    return { mean: wrap(r.mean), variance: wrap(r.variance) };
  },
  batchNormApply: (x, m, is, w, b, N, C, HW) => wrap(batchNormApplyCpu(v(x), v(m), v(is), v(w), v(b), N, C, HW)),
  batchNormBackward: (x, dy, m, is, w, N, C, HW, training) => {
    const r = batchNormBackwardCpu(v(x), v(dy), v(m), v(is), v(w), N, C, HW, training);
    return { dx: wrap(r.dx), dweight: wrap(r.dweight), dbias: wrap(r.dbias) };
  },
  dynoSample: (x, g) => wrap(dynoSampleCpu(v(x), g)),
  dynoSampleBackward: (x, dy, g) => {
    const r = dynoSampleBackwardCpu(v(x), v(dy), g);
    return { dx: wrap(r.dx), dh: r.dh, dw: r.dw };
  },
};
