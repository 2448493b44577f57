/**
 * The one place where property-test seeds and run counts live.
 *
 * FC_SEED and FC_RUNS_SCALE override them from the environment. A failing property prints its
 * seed and counterexample path; replay it with `FC_SEED=<seed> npx vitest run <file>` (the path
 * is printed too, for `fc.assert(..., { seed, path })`).
 */
export const FC_SEED = Number(process.env.FC_SEED ?? 20221124);
const scale = Number(process.env.FC_RUNS_SCALE ?? 1);

/** Run counts by cost of one run. */
export const RUNS = {
  /** elementwise and movement ops on small tensors */
  cheap: Math.max(1, Math.round(100 * scale)),
  /** reductions, matmul, composite losses */
  medium: Math.max(1, Math.round(60 * scale)),
  /** conv2d, pooling, batchnorm, DynOPool gradchecks */
  expensive: Math.max(1, Math.round(40 * scale)),
} as const;

/**
 * float32 parity tolerance of gpu.js kernels against the float64 reference:
 * |gpu - ref| <= atol + rtol * magnitude, where magnitude is the sum of |terms| that make the
 * value (a float32 accumulation of n terms is off by about n * 6e-8 of that sum).
 */
export const FLOAT32_PARITY = { rtol: 2e-5, atol: 1e-6 } as const;

/** Modes whose absence fails the gpu suites instead of skipping them (CI sets all three). */
export const REQUIRED_GPU_MODES = (process.env.DYNOPOOL_REQUIRE_GPU_MODES ?? '')
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);
