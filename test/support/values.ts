import type { Tensor } from '../../src/index.js';

/** Flat values as a plain array, for toEqual / toBeCloseTo comparisons. */
export const vals = (t: Tensor): number[] => Array.from(t.data());
