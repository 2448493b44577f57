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
