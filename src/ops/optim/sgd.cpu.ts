/**
 * CPU reference kernel of the fused SGD update (sgd.kernels.ts): each operation in float64 on
 * the stored values, its result rounded to the dtype before the next one reads it (the rounding
 * a chain of elementwise tensor ops does), so it equals that chain bit for bit.
 */
import { cpuImpl, type CpuKernelImpl } from '../../backend/kernel.js';
import { allocate, dtypeOf, type TypedArray } from '../../tensor/dtype.js';
import { sgdTerms, sgdUpdateKernel, type SgdAttrs } from './sgd.kernels.js';

const exact = (x: number): number => x;

/** [p', buf'] (buf' only when momentum is non-zero); `buf` null: no buffer yet. */
export function sgdUpdateCpu(p: TypedArray, grad: TypedArray, buf: TypedArray | null, a: SgdAttrs): TypedArray[] {
  const dtype = dtypeOf(p);
  const r = dtype === 'float64' ? exact : Math.fround;
  const wd = r(a.weightDecay),
    mom = r(a.momentum),
    damp = r(1 - a.dampening),
    lr = r(a.lr);
  const t = sgdTerms(a, buf !== null);
  const n = p.length;
  const out = allocate(dtype, n);
  const outBuf = t.momentum ? allocate(dtype, n) : null;
  for (let i = 0; i < n; i++) {
    const pv = p[i];
    let g = t.decay ? r(grad[i] + r(pv * wd)) : grad[i];
    if (outBuf) {
      const b = t.buffer ? r(r(buf![i] * mom) + r(g * damp)) : g;
      outBuf[i] = b;
      g = t.nesterov ? r(g + r(b * mom)) : b;
    }
    out[i] = pv - r(g * lr);
  }
  return outBuf ? [out, outBuf] : [out];
}

/** The reference implementation of the fused SGD update. */
export const sgdCpuImpls: readonly CpuKernelImpl[] = [
  cpuImpl(sgdUpdateKernel, ([p, grad, buf], attrs) => sgdUpdateCpu(p, grad, buf ?? null, attrs)),
];
