/**
 * Finite-difference support for whole models with DynOPool layers.
 *
 * A DynOPool output size is round(s) with s = H_in / alpha: flat in alpha almost everywhere,
 * so central differences of a model w.r.t. alpha are 0 while its straight-through gradient
 * (paper eq. 3-4, round(s) + s - sg(s)) is not. `freezeSizes` holds the surrogate's
 * non-differentiable parts at the current point: each size becomes n + s(alpha) - s0, with the
 * integer n = round(s0) and the continuous s0 frozen. The model is then a smooth function of
 * alpha, equal to the real model at this point, whose derivative there is exactly the surrogate
 * gradient: a gradient check of the frozen model checks the real model's backward.
 */
import type { Module } from '../nn/module.js';
import { DynOPool } from '../nn/dynopool.js';
import { dynoContinuousSize, dynoOutputSize } from '../ops/dynopool/dynopool.js';

/**
 * Runs `forward` once, recording each DynOPool's continuous size s0 and integer size n per
 * axis, then freezes every DynOPool in `model` at that point. Returns a function that unfreezes.
 */
export function freezeSizes(model: Module<any, any>, forward: () => unknown): () => void {
  const pools = model.modules().filter((m): m is DynOPool => m instanceof DynOPool);
  const base = new Map<DynOPool, { s0: [number, number]; n: [number, number] }>();
  for (const p of pools) {
    // the paper's size rule, observed: a shared layer runs more than once, at the same point
    p.sizeRule = (inSize, alpha, axis) => {
      const h = dynoOutputSize(inSize, alpha);
      const point = base.get(p) ?? { s0: [0, 0], n: [0, 0] };
      point.s0[axis] = dynoContinuousSize(inSize, alpha).item();
      point.n[axis] = h.item();
      base.set(p, point);
      return h;
    };
  }
  try {
    forward();
  } catch (e) {
    pools.forEach((p) => {
      p.sizeRule = null;
    });
    throw e;
  }
  for (const p of pools) {
    const point = base.get(p);
    if (!point) {
      pools.forEach((q) => {
        q.sizeRule = null;
      });
      throw new Error('freezeSizes: a DynOPool layer did not run in forward()');
    }
    const { s0, n } = point;
    p.sizeRule = (inSize, alpha, axis) => dynoContinuousSize(inSize, alpha).sub(s0[axis]).add(n[axis]);
  }
  return () =>
    pools.forEach((p) => {
      p.sizeRule = null;
    });
}
