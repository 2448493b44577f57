/** Glue between fast-check and gradcheck used by every gradient property. */
import { gradcheck, type GradcheckOptions, type Tensor } from '../../src/index.js';

/** Runs gradcheck; a mismatch throws, which fails the property with a readable report. */
export function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): true {
  gradcheck(fn, inputs, opts);
  return true;
}

/** Flat values as a plain array, for toEqual / toBeCloseTo comparisons. */
export const vals = (t: Tensor): number[] => Array.from(t.data());

/** Values on the lattice k * step + offset (k integer): two lattices with different offsets never tie. */
export function latticeValues(n: number, seed: number, offset: number, step = 0.1, span = 40): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s % span) - span / 2) * step + offset;
  });
}
