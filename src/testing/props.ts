/**
 * Glue between fast-check and gradcheck: `gradProperty` proves an op's gradient on random
 * inputs (and prints a replayable counterexample when it is wrong); `expectGradOk` is the
 * predicate inside, for hand-written `fc.property`s.
 */
import fc from 'fast-check';
import { gradcheck, type GradcheckOptions } from '../autograd/gradcheck.js';
import type { Tensor } from '../tensor/tensor.js';
import { FC_SEED, RUNS } from './config.js';

/** Runs gradcheck; a mismatch throws, which fails the property with a readable report. */
export function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): true {
  gradcheck(fn, inputs, opts);
  return true;
}

/** fast-check's settings for a gradient property: the shared seed and run count unless given. */
export interface PropertyOptions {
  /** how many random inputs (default RUNS.medium: 60 times FC_RUNS_SCALE) */
  numRuns?: number;
  /** the property seed (default FC_SEED: fixed, or from the environment) */
  seed?: number;
  /** replay one counterexample: the `path` a failure printed, with its seed */
  path?: string;
}

export interface GradPropertyOptions extends PropertyOptions {
  /** passed to every gradcheck (tolerances, eps, maxElements, wrt, ...) */
  gradcheck?: GradcheckOptions;
}

/** One arbitrary per input of `fn`, or one arbitrary of the whole input list. */
export type InputArbitraries = readonly fc.Arbitrary<Tensor>[] | fc.Arbitrary<readonly Tensor[]>;

function inputsArbitrary(arbitraries: InputArbitraries): fc.Arbitrary<readonly Tensor[]> {
  return Array.isArray(arbitraries)
    ? fc.tuple(...(arbitraries as readonly fc.Arbitrary<Tensor>[]))
    : (arbitraries as fc.Arbitrary<readonly Tensor[]>);
}

/** The fc.assert / fc.check parameters for `opts`. */
export function propertyParameters<T = unknown>(
  opts: PropertyOptions = {},
  defaultRuns: number = RUNS.medium,
): fc.Parameters<T> {
  return {
    seed: opts.seed ?? FC_SEED,
    numRuns: opts.numRuns ?? defaultRuns,
    ...(opts.path === undefined ? {} : { path: opts.path }),
  };
}

/**
 * Asserts that the autograd gradient of `fn` matches float64 central differences (`gradcheck`)
 * on `numRuns` random inputs drawn from `arbitraries`. On a mismatch it throws fast-check's
 * report: the seed and path to replay it, the shrunk counterexample (each input as the call
 * that rebuilds it) and gradcheck's table of the worst mismatches.
 *
 *     gradProperty((x) => mySoftplus(x), [arbTensor()]);
 *     gradProperty((x) => myRelu(x), [arbTensor({ awayFrom: [0] })]);
 *     gradProperty((a, b) => myMul(a, b), arbBroadcastPair().chain(...));
 */
export function gradProperty(
  fn: (...xs: Tensor[]) => Tensor,
  arbitraries: InputArbitraries,
  opts: GradPropertyOptions = {},
): void {
  const details = fc.check(
    fc.property(inputsArbitrary(arbitraries), (xs) => expectGradOk(fn, [...xs], opts.gradcheck)),
    propertyParameters(opts),
  );
  if (details.failed)
    throw new Error(`gradProperty${fn.name ? ` (${fn.name})` : ''}: ${failureReport(details)}`, {
      cause: details.errorInstance,
    });
}

/**
 * fast-check's report of a failed run (runs, seed and path to replay, the shrunk counterexample)
 * followed by the error the counterexample raised (its message, without the stack).
 */
export function failureReport<T>(details: fc.RunDetails<T>): string {
  const report = (fc.defaultReportMessage(details) ?? 'the property failed')
    .split('\n')
    .filter((l) => !l.startsWith('Hint: '))
    .join('\n')
    .trimEnd();
  const e = details.errorInstance;
  return `${report}\n${e instanceof Error ? e.message : String(e)}`;
}
