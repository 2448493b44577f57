/**
 * float32 parity: a float32 result against the float64 reference, value by value. A NaN must
 * face a NaN and an infinity the same infinity (exactly, whatever the tolerance); finite values
 * must satisfy |value - ref| <= atol + rtol * magnitude, with a finite magnitude.
 */
import { FLOAT32_PARITY } from './config.js';

/** Absolute and relative tolerance of a float32 backend against the float64 reference. */
export interface ParityTolerance {
  rtol: number;
  atol: number;
}

/**
 * The values of `actual` that differ from `reference`, each described as
 * `[i] gpu <value> ref <value> ...`; empty when they agree. `magnitude` is the per-value (or one)
 * scale of the relative tolerance: the sum of |terms| that make the value.
 */
export function parityMismatches(
  actual: ArrayLike<number>,
  reference: ArrayLike<number>,
  magnitude: ArrayLike<number> | number,
  tolerance: ParityTolerance = FLOAT32_PARITY,
): string[] {
  if (actual.length !== reference.length)
    return [`length ${actual.length}, the reference has ${reference.length} values`];
  const bad: string[] = [];
  for (let i = 0; i < reference.length; i++) {
    const g = actual[i],
      r = reference[i];
    if (!Number.isFinite(g) || !Number.isFinite(r)) {
      if (!(g === r || (Number.isNaN(g) && Number.isNaN(r))))
        bad.push(`[${i}] gpu ${g} ref ${r} (non-finite values must match exactly)`);
      continue;
    }
    const mag = typeof magnitude === 'number' ? magnitude : magnitude[i];
    const tol = tolerance.atol + tolerance.rtol * mag;
    if (!Number.isFinite(tol)) {
      bad.push(`[${i}] gpu ${g} ref ${r}: the tolerance magnitude ${mag} is not finite (use finiteAbs)`);
      continue;
    }
    const d = Math.abs(g - r);
    if (!(d <= tol)) bad.push(`[${i}] gpu ${g} ref ${r} |diff| ${d.toExponential(2)} > ${tol.toExponential(2)}`);
  }
  return bad;
}
