/**
 * `checkOps`: the package's gradient properties on every backend this machine offers, as a
 * matrix (op x backend) in the spirit of PyTorch's OpInfo tests. `dynopool check` prints it.
 *
 * Columns:
 * - `float64 gradcheck`: the op's autograd gradient against central differences on the float64
 *   reference (`gradcheck`); for a surrogate gradient, against its smooth twin's derivative.
 * - `reference f32`, `gpu:<mode>` (each gpu.js mode available here) and `wasm` (when such a
 *   backend is registered): the op in float32 on that backend, forward value and the gradient of
 *   every input, against the float64 reference within FLOAT32_PARITY tolerances.
 *
 * Each cell is one fast-check property over the op's problems, with the same seed in every
 * column (so a row runs the same problems everywhere); a failure is shrunk and reported with its
 * counterexample and the seed and path that replay it.
 */
import fc from 'fast-check';
import { gradcheck } from '../autograd/gradcheck.js';
import type { Backend } from '../backend/backend.js';
import { modeUnavailableReason, platformModes, type GpuMode } from '../backend/gpu/runtime.js';
import { getBackend, registeredBackends, setBackend } from '../backend/registry.js';
import { tensor } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { noGrad } from '../autograd/grad-mode.js';
import { GpuStorage } from '../backend/gpu/storage.js';
import { GpuBackend } from '../backends/gpu.js';
import { clamp } from '../ops/elementwise/unary.js';
import { FC_SEED, FLOAT32_PARITY } from './config.js';
import { OP_CHECKS, type OpCheck } from './ops.js';
import { parityMismatches } from './parity.js';
import { failureReport } from './props.js';

/** A column of the matrix. */
export interface CheckBackend {
  name: string;
  kind: 'gradcheck' | 'float32';
  /** why it cannot run here (null: it can) */
  unavailable: string | null;
  /** makes it the current backend (float32 columns) */
  select?: () => Backend;
}

/** One op x backend cell of `checkOps`: runs, worst error, pass or fail and the counterexample. */
export interface CheckCell {
  op: string;
  backend: string;
  /** 'skip': the backend is not available here */
  status: 'pass' | 'fail' | 'skip';
  /** runs done (on failure: up to and including the failing one) */
  runs: number;
  /** gradcheck: max |analytic - numeric|; float32: max |float32 - float64| over output and gradients */
  maxError: number;
  /** fast-check's report: the shrunk counterexample, the seed and path, the error */
  failure?: string;
}

/** The result of `checkOps`: the ops, the backends and one cell per pair. */
export interface CheckMatrix {
  seed: number;
  runs: number;
  ops: string[];
  backends: CheckBackend[];
  cells: CheckCell[];
  ok: boolean;
  seconds: number;
}

/** Seed, runs per cell, backends and a per-cell callback of `checkOps`. */
export interface CheckOptions {
  /** property seed (default FC_SEED) */
  seed?: number;
  /** problems per cell (default 3) */
  runs?: number;
  /** only these columns (names as in `checkBackends()`) */
  backends?: readonly string[];
  /** called after each cell (progress) */
  onCell?: (cell: CheckCell) => void;
}

/** The columns: float64 gradcheck, the reference in float32, each gpu.js mode of this platform, and wasm. */
export function checkBackends(): CheckBackend[] {
  const columns: CheckBackend[] = [
    { name: 'float64 gradcheck', kind: 'gradcheck', unavailable: null },
    { name: 'reference f32', kind: 'float32', unavailable: null, select: () => setBackend('reference') },
  ];
  for (const mode of platformModes())
    columns.push({
      name: `gpu:${mode}`,
      kind: 'float32',
      unavailable: modeUnavailableReason(mode),
      select: () => setBackend('gpu', { mode }),
    });
  let wasm: string | null = null;
  if (!registeredBackends().includes('wasm')) wasm = "no 'wasm' backend is registered";
  else {
    try {
      const b = setBackend('wasm');
      void b;
    } catch (e) {
      wasm = e instanceof Error ? e.message : String(e);
    } finally {
      setBackend('reference');
    }
  }
  columns.push({ name: 'wasm', kind: 'float32', unavailable: wasm, select: () => setBackend('wasm') });
  return columns;
}

/** Runs `body` with `select()`'s backend current, then restores the previous one. */
function onBackend<T>(select: () => Backend, body: () => T): T {
  const previous = getBackend().name;
  select();
  try {
    return body();
  } finally {
    const [name, mode] = previous.split(':');
    setBackend(name, mode ? { mode: mode as GpuMode } : {});
  }
}

/**
 * `values` as a tensor on the current backend. On the gpu.js backend the values are put on the
 * device (a texture on GL modes): small host values would run on the CPU reference (see
 * Placement in src/backends/gpu.ts), and the column is there to check the gpu.js kernels.
 */
function placed(values: Float64Array, shape: readonly number[], dtype: DType, requiresGrad: boolean): Tensor {
  const backend = getBackend();
  if (!(backend instanceof GpuBackend) || dtype !== 'float32' || values.length === 0)
    return tensor(values, { shape, dtype, requiresGrad });
  const marked = new Tensor(new GpuStorage(values.length, Float32Array.from(values), true), shape, backend);
  const onDevice = noGrad(() => clamp(marked, -Infinity, Infinity));
  return new Tensor(onDevice.storage, shape, backend, { requiresGrad });
}

/**
 * The op's output and the gradient of each input for the cotangent drawn from `seed`, with the
 * inputs rebuilt in `dtype` on the current backend; all as float64 arrays.
 */
function outputAndGrads(
  fn: (...xs: Tensor[]) => Tensor,
  values: readonly Float64Array[],
  shapes: readonly (readonly number[])[],
  dtype: 'float32' | 'float64',
  seed: number,
): Float64Array[] {
  const leaves = values.map((v, i) => placed(v, shapes[i], dtype, true));
  const y = fn(...leaves);
  const g = new Generator(seed);
  const v = Float64Array.from({ length: y.size }, () => g.normal());
  if (y.requiresGrad) y.backward(placed(v, y.shape, dtype, false));
  return [y, ...leaves.map((l) => l.grad)].map((t, i) =>
    t ? Float64Array.from(t.data()) : new Float64Array(i === 0 ? y.size : values[i - 1].length),
  );
}

const maxAbs = (v: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) m = Math.max(m, Math.abs(v[i]));
  return m;
};

const NAMES = ['output', 'gradient of input 0', 'gradient of input 1', 'gradient of input 2', 'gradient of input 3'];

/** One problem of a float64 gradcheck cell; returns the max error, throws a report on a mismatch. */
function gradcheckOnce(op: OpCheck, p: unknown, seed: number): number {
  const c = op.build(p);
  if (!op.twin) {
    const r = gradcheck(c.fn, c.inputs, { seed, ...op.gradcheck });
    return Math.max(0, ...r.inputs.map((i) => i.maxAbsError));
  }
  // a surrogate: its gradient must be the twin's (whose own gradient is checked by finite differences)
  gradcheck(op.twin, c.inputs, { seed, ...op.gradcheck });
  const values = c.inputs.map((t) => Float64Array.from(t.data()));
  const shapes = c.inputs.map((t) => t.shape);
  const [, ...mine] = outputAndGrads(c.fn, values, shapes, 'float64', seed);
  const [, ...twin] = outputAndGrads(op.twin, values, shapes, 'float64', seed);
  let err = 0;
  mine.forEach((g, i) => {
    const bad = parityMismatches(g, twin[i], 0, { atol: 1e-12, rtol: 0 });
    if (bad.length)
      throw new Error(`the surrogate gradient of input ${i} is not its twin's: ${bad.slice(0, 4).join('; ')}`);
    g.forEach((x, k) => (err = Math.max(err, Math.abs(x - twin[i][k]))));
  });
  return err;
}

/** One problem of a float32 cell; returns the max error, throws a report on a mismatch. */
function float32Once(op: OpCheck, p: unknown, seed: number, select: () => Backend): number {
  const c = onBackend(
    () => setBackend('reference'),
    () => op.build(p),
  );
  const values = c.inputs.map((t) => Float64Array.from(t.data()));
  const shapes = c.inputs.map((t) => t.shape);
  const ref = onBackend(
    () => setBackend('reference'),
    () => outputAndGrads(c.fn, values, shapes, 'float64', seed),
  );
  const got = onBackend(select, () => outputAndGrads(c.fn, values, shapes, 'float32', seed));
  let err = 0;
  const terms = op.terms ?? 4;
  ref.forEach((r, i) => {
    const bad = parityMismatches(got[i], r, terms * maxAbs(r), FLOAT32_PARITY);
    if (bad.length)
      throw new Error(
        `${NAMES[i] ?? `gradient of input ${i - 1}`}: ${bad.length} of ${r.length} values differ from the float64 reference (tolerance ${FLOAT32_PARITY.atol} + ${FLOAT32_PARITY.rtol} * ${terms} * max|ref|): ${bad.slice(0, 4).join('; ')}`,
      );
    r.forEach((x, k) => {
      if (Number.isFinite(x)) err = Math.max(err, Math.abs(got[i][k] - x));
    });
  });
  return err;
}

/** Runs one cell: the op's property on one backend. */
function runCell(op: OpCheck, column: CheckBackend, seed: number, runs: number): CheckCell {
  const cell: CheckCell = { op: op.name, backend: column.name, status: 'skip', runs: 0, maxError: 0 };
  if (column.unavailable !== null) return cell;
  const select = column.select;
  let maxError = 0;
  const details = fc.check(
    fc.property(op.params, (p) => {
      const e = column.kind === 'gradcheck' || !select ? gradcheckOnce(op, p, seed) : float32Once(op, p, seed, select);
      maxError = Math.max(maxError, e);
      return true;
    }),
    { seed, numRuns: runs },
  );
  cell.runs = details.failed ? details.numRuns + 1 : details.numRuns;
  cell.maxError = maxError;
  cell.status = details.failed ? 'fail' : 'pass';
  if (details.failed) {
    cell.failure = failureReport(details);
  }
  return cell;
}

/**
 * Runs every op's gradient property on every available backend (`checkBackends()`): returns the
 * matrix; `ok` is false when any cell failed. Leaves the reference backend current.
 */
export function checkOps(ops: readonly OpCheck[] = OP_CHECKS, opts: CheckOptions = {}): CheckMatrix {
  const started = performance.now();
  const seed = opts.seed ?? FC_SEED,
    runs = opts.runs ?? 3;
  const backends = checkBackends().filter((b) => !opts.backends || opts.backends.includes(b.name));
  const cells: CheckCell[] = [];
  try {
    for (const op of ops)
      for (const b of backends) {
        const cell = runCell(op, b, seed, runs);
        cells.push(cell);
        opts.onCell?.(cell);
      }
  } finally {
    setBackend('reference');
  }
  return {
    seed,
    runs,
    ops: ops.map((o) => o.name),
    backends,
    cells,
    ok: cells.every((c) => c.status !== 'fail'),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The matrix as an aligned text table, then the unavailable backends and each failure's report. */
export function formatMatrix(m: CheckMatrix): string {
  const cellText = (c: CheckCell | undefined): string =>
    !c || c.status === 'skip'
      ? 'n/a'
      : `${c.status === 'pass' ? 'pass' : 'FAIL'} ${String(c.runs).padStart(3)} ${c.maxError.toExponential(1).padStart(7)}`;
  const header = ['op', ...m.backends.map((b) => b.name)];
  const rows = m.ops.map((op) => [
    op,
    ...m.backends.map((b) => cellText(m.cells.find((c) => c.op === op && c.backend === b.name))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((s, i) => s.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [
    `dynopool check: ${m.ops.length} ops x ${m.backends.length} backends, seed ${m.seed}, ${m.runs} runs per cell`,
    'cell: pass/FAIL, runs, max error (float64 gradcheck: |analytic - numeric|; float32 columns: |float32 - float64| over output and gradients)',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  const missing = m.backends.filter((b) => b.unavailable !== null);
  if (missing.length) out.push('', ...missing.map((b) => `n/a ${b.name}: ${b.unavailable}`));
  const failed = m.cells.filter((c) => c.status === 'fail');
  const passed = m.cells.filter((c) => c.status === 'pass').length;
  for (const c of failed) out.push('', `FAIL ${c.op} on ${c.backend}:`, c.failure ?? '');
  out.push(
    '',
    `${passed} cells passed, ${failed.length} failed, ${m.cells.length - passed - failed.length} not available, in ${m.seconds.toFixed(1)} s`,
  );
  return out.join('\n');
}
