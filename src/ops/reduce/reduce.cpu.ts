/** CPU reference kernel for sum / max / min over a set of axes (kept as size-1 dims). */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import { reduceKernel, type ReduceKernel } from './reduce.kernels.js';
import { allocate, dtypeOf, type TypedArray } from '../../tensor/dtype.js';
import { sizeOf, stridesOf, type Shape } from '../../tensor/shape.js';

export function reduceCpu(op: ReduceKernel, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const out = allocate(dtypeOf(x), sizeOf(outShape));
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
  // Accumulate in float64 even for float32 outputs.
  const acc = new Float64Array(out.length).fill(init);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (op === 'sum') acc[o] += v;
    else if (op === 'max') {
      if (v > acc[o] || Number.isNaN(v)) acc[o] = v;
    } else if (v < acc[o] || Number.isNaN(v)) acc[o] = v;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        o += outStrides[d];
        break;
      }
      idx[d] = 0;
      o -= outStrides[d] * (shape[d] - 1);
    }
  }
  out.set(acc);
  return out;
}

export const reduceCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(reduceKernel, ([x], { op, axes }, s) => reduceCpu(op, x, s.inputs[0], axes)),
];
