/**
 * The one place where the project's tests take property seeds and run counts from.
 *
 * The defaults, and the FC_SEED / FC_RUNS_SCALE overrides from the environment, live in
 * src/testing/config.ts (dynopool/testing: the users' properties run with the same settings). A
 * failing property prints its seed and counterexample path; replay it with
 * `FC_SEED=<seed> npx vitest run <file>` (the path is printed too, for
 * `fc.assert(..., { seed, path })`).
 */
export { FC_SEED, RUNS, FLOAT32_PARITY } from '../../src/testing/config.js';

/** Modes whose absence fails the gpu suites instead of skipping them (CI sets all three). */
export const REQUIRED_GPU_MODES = (process.env.DYNOPOOL_REQUIRE_GPU_MODES ?? '')
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);

/**
 * DYNOPOOL_REQUIRE_BROWSER=1 (CI sets it): a missing headless chromium fails the browser suites
 * (test/browser) instead of skipping them.
 */
export const REQUIRE_BROWSER = ['1', 'true', 'yes'].includes((process.env.DYNOPOOL_REQUIRE_BROWSER ?? '').trim());
