/**
 * gradcheck: compares the autograd gradient of `fn` with central finite differences.
 *
 * The scalar that is differentiated is <fn(x), v> for a random cotangent v (seeded), not
 * sum(fn(x)): a sum can hide a wrong gradient whose errors cancel across outputs. For each
 * input, every element is perturbed when the input is small; a big input is checked along
 * random directions d instead (JAX's `check_grads` style): <grad, d> against
 * (f(x + eps d) - f(x - eps d)) / (2 eps).
 *
 * Inputs must be float64: in float32 the finite-difference error swamps the comparison.
 * (Float32 kernels are proven equal to the float64 reference instead.)
 */
import { fromTypedArray, zerosLike } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { fmt, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

/** Step size, tolerances, seed and scope of a `gradcheck` (each field says its default). */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance, times |numeric| (default 1e-5). */
  rtol?: number;
  /** Seed of the cotangent and the random directions (default 0). */
  seed?: number;
  /** Inputs with more elements are checked along random directions (default 64). */
  maxElements?: number;
  /** How many random directions for a big input (default 6). */
  directions?: number;
  /** Indices of the inputs to check (default: all). */
  wrt?: readonly number[];
}

/** What `gradcheck` checked for one input: how (every element or random directions), how many, and the worst errors. */
export interface GradcheckInputReport {
  index: number;
  shape: readonly number[];
  mode: 'elementwise' | 'directions';
  checked: number;
  maxAbsError: number;
  maxRelError: number;
}

/** The report of a passing `gradcheck`, one entry per checked input (a failing one throws). */
export interface GradcheckResult {
  inputs: GradcheckInputReport[];
}

interface Mismatch {
  input: number;
  where: string;
  analytic: number;
  numeric: number;
  diff: number;
  tol: number;
}

function indexOf(shape: readonly number[], linear: number): number[] {
  return stridesOf(shape).map((s, d) => Math.floor(linear / s) % shape[d]);
}

function assertTensor(what: string, y: unknown): asserts y is Tensor {
  if (y instanceof Tensor) return;
  const got =
    y === undefined || y === null
      ? String(y)
      : typeof y === 'number'
        ? `a number (${y})`
        : `a ${typeof y === 'object' ? (y.constructor?.name ?? 'object') : typeof y}`;
  throw new Error(`${what} returned ${got}, not a Tensor (return the tensor itself, e.g. x.mul(2).sum(), not .item())`);
}

/**
 * Checks the autograd gradient of `fn` at float64 `inputs` against central differences of
 * `<fn(x), v>` for a random cotangent `v`: every element for small inputs, random directions for
 * large ones (`maxElements`). Throws with a table of the worst mismatches; returns the report.
 */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const rng = new Generator(opts.seed ?? 0);
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float64')
      throw new Error(
        `gradcheck: input ${i} is ${t.dtype} ${fmt(t.shape)}; finite differences need float64 (use .to('float64'))`,
      );
  });
  const values = inputs.map((t) => t.data() as Float64Array);
  const leaves = values.map((v, i) => fromTypedArray(v.slice(), inputs[i].shape, { requiresGrad: wrt.includes(i) }));

  // analytic: backward of <fn(x), v>
  const y = fn(...leaves);
  assertTensor('gradcheck: fn', y);
  if (y.dtype !== 'float64') throw new Error(`gradcheck: fn returned ${y.dtype}; it must stay in float64`);
  const v = new Float64Array(y.size).map(() => rng.normal());
  if (y.requiresGrad) y.backward(fromTypedArray(v.slice(), y.shape));
  const analytic = leaves.map((l) => (l.grad ?? zerosLike(l)).data() as Float64Array);

  // numeric: f(x) = <fn(x), v> with one input replaced
  const evaluate = (which: number, replaced: Float64Array): number =>
    noGrad(() =>
      dot(fn(...values.map((val, i) => fromTypedArray(i === which ? replaced : val.slice(), inputs[i].shape))), v),
    );
  return compare(
    'gradcheck',
    inputs.map((t) => t.shape),
    values,
    analytic,
    evaluate,
    wrt,
    rng,
    opts,
  );
}

/**
 * gradcheck for tensors held inside a model: `f()` reads the parameters (e.g. runs a forward
 * pass); for the finite differences each parameter is overwritten in place (`assign`) and
 * restored afterwards. Same cotangent, tolerances and report as `gradcheck`.
 */
export function gradcheckParams(
  f: () => Tensor,
  params: readonly Tensor[],
  opts: Omit<GradcheckOptions, 'wrt'> = {},
): GradcheckResult {
  const rng = new Generator(opts.seed ?? 0);
  params.forEach((p, i) => {
    if (p.dtype !== 'float64')
      throw new Error(`gradcheckParams: parameter ${i} is ${p.dtype} ${fmt(p.shape)}; finite differences need float64`);
    if (!p.requiresGrad) throw new Error(`gradcheckParams: parameter ${i} ${fmt(p.shape)} does not require grad`);
  });
  const originals = params.map((p) => p.detach());
  const savedGrads = params.map((p) => p.grad);
  try {
    params.forEach((p) => {
      p.grad = null;
    });
    const y = f();
    assertTensor('gradcheckParams: f', y);
    if (y.dtype !== 'float64') throw new Error(`gradcheckParams: f returned ${y.dtype}; it must stay in float64`);
    const v = new Float64Array(y.size).map(() => rng.normal());
    if (y.requiresGrad) y.backward(fromTypedArray(v.slice(), y.shape));
    const analytic = params.map((p) => (p.grad ?? zerosLike(p)).data() as Float64Array);
    const values = originals.map((t) => t.data() as Float64Array);
    const evaluate = (which: number, replaced: Float64Array): number => {
      params[which].assign(fromTypedArray(replaced, params[which].shape));
      try {
        return noGrad(() => dot(f(), v));
      } finally {
        params[which].assign(originals[which]);
      }
    };
    return compare(
      'gradcheckParams',
      params.map((p) => p.shape),
      values,
      analytic,
      evaluate,
      params.map((_, i) => i),
      rng,
      opts,
    );
  } finally {
    params.forEach((p, i) => {
      p.assign(originals[i]);
      p.grad = savedGrads[i];
    });
  }
}

function dot(t: Tensor, v: Float64Array): number {
  const out = t.data();
  let s = 0;
  for (let k = 0; k < out.length; k++) s += out[k] * v[k];
  return s;
}

/** Compares analytic gradients with central differences of `evaluate`; throws a report on mismatch. */
function compare(
  who: string,
  shapes: readonly (readonly number[])[],
  values: readonly Float64Array[],
  analytic: readonly Float64Array[],
  evaluate: (which: number, replaced: Float64Array) => number,
  wrt: readonly number[],
  rng: Generator,
  opts: GradcheckOptions,
): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const maxElements = opts.maxElements ?? 64;
  const nDirections = opts.directions ?? 6;
  const directional = (which: number, dir: Float64Array): number => {
    const plus = values[which].map((x, k) => x + eps * dir[k]);
    const minus = values[which].map((x, k) => x - eps * dir[k]);
    return (evaluate(which, plus) - evaluate(which, minus)) / (2 * eps);
  };

  const mismatches: Mismatch[] = [];
  const reports: GradcheckInputReport[] = [];
  for (const i of wrt) {
    const n = values[i].length;
    const shape = shapes[i];
    const report: GradcheckInputReport = {
      index: i,
      shape,
      mode: n <= maxElements ? 'elementwise' : 'directions',
      checked: 0,
      maxAbsError: 0,
      maxRelError: 0,
    };
    const check = (a: number, num: number, where: string) => {
      const diff = Math.abs(a - num);
      const tol = atol + rtol * Math.abs(num);
      report.checked++;
      report.maxAbsError = Math.max(report.maxAbsError, diff);
      report.maxRelError = Math.max(report.maxRelError, diff / Math.max(Math.abs(num), 1e-12));
      if (!(diff <= tol)) mismatches.push({ input: i, where, analytic: a, numeric: num, diff, tol });
    };
    if (report.mode === 'elementwise') {
      for (let k = 0; k < n; k++) {
        const dir = new Float64Array(n);
        dir[k] = 1;
        check(
          analytic[i][k],
          directional(i, dir),
          `element ${k}${shape.length > 1 ? ` (index [${indexOf(shape, k).join(', ')}])` : ''}`,
        );
      }
    } else {
      for (let r = 0; r < nDirections; r++) {
        const dir = new Float64Array(n).map(() => rng.normal());
        const norm = Math.hypot(...dir);
        dir.forEach((d, k) => {
          dir[k] = d / norm;
        });
        let a = 0;
        for (let k = 0; k < n; k++) a += analytic[i][k] * dir[k];
        check(a, directional(i, dir), `random direction ${r}`);
      }
    }
    reports.push(report);
  }

  if (mismatches.length > 0) {
    mismatches.sort((a, b) => b.diff / b.tol - a.diff / a.tol);
    const lines = mismatches
      .slice(0, 8)
      .map(
        (m) =>
          `  input ${m.input} ${fmt(shapes[m.input])}, ${m.where}: analytic ${m.analytic.toPrecision(10)}, numeric ${m.numeric.toPrecision(10)}, |diff| ${m.diff.toExponential(3)} > tol ${m.tol.toExponential(3)}`,
      );
    const more = mismatches.length > 8 ? `\n  ... and ${mismatches.length - 8} more` : '';
    throw new Error(
      `${who}: ${mismatches.length} gradient mismatch${mismatches.length > 1 ? 'es' : ''} (eps ${eps}, atol ${atol}, rtol ${rtol}):\n${lines.join('\n')}${more}`,
    );
  }
  return { inputs: reports };
}
