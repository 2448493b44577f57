/**
 * Seeds and run counts of the gradient properties: the defaults that `gradProperty`, the
 * `dynopool check` matrix and dynopool's own test suite share.
 *
 * FC_SEED and FC_RUNS_SCALE override them from the environment (read once, when this module
 * loads). A failing property prints its seed and counterexample path; replay it with
 * `FC_SEED=<seed>` (the path is printed too, for `gradProperty(..., { seed, path })` or
 * `fc.assert(..., { seed, path })`).
 */

const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;

/** The property seed: FC_SEED from the environment, else a fixed one, so that every run replays. */
export const FC_SEED = Number(env.FC_SEED || 20221124);

/** FC_RUNS_SCALE from the environment (default 1): multiplies every run count. */
export const RUNS_SCALE = Number(env.FC_RUNS_SCALE || 1);

/** Run counts by cost of one run (each scaled by FC_RUNS_SCALE, at least 1). */
export const RUNS = {
  /** elementwise and movement ops on small tensors */
  cheap: Math.max(1, Math.round(100 * RUNS_SCALE)),
  /** reductions, matmul, composite losses */
  medium: Math.max(1, Math.round(60 * RUNS_SCALE)),
  /** conv2d, pooling, batchnorm, DynOPool gradchecks */
  expensive: Math.max(1, Math.round(40 * RUNS_SCALE)),
} as const;

/**
 * float32 parity tolerance of a float32 backend against the float64 reference:
 * |float32 - ref| <= atol + rtol * magnitude, where magnitude is the sum of |terms| that make the
 * value (a float32 accumulation of n terms is off by about n * 6e-8 of that sum).
 */
export const FLOAT32_PARITY = { rtol: 2e-5, atol: 1e-6 } as const;
