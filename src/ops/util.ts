/**
 * Small helpers every op file uses: running kernels, scalars and constants, and input checks.
 * `runKernel` is the one way an op computes values: it takes the output shapes from the
 * kernel's declaration (src/backend/kernel.ts) and wraps the backend's storages as tensors.
 */
import { kernelShapes, type Kernel } from '../backend/kernel.js';
import type { TypedArray } from '../tensor/dtype.js';
import { fmt, type Shape } from '../tensor/shape.js';
import { Tensor, type Scalar } from '../tensor/tensor.js';

/**
 * Runs `kernel` on the inputs' backend (the first input's; ops check that all agree) and
 * returns its outputs as constant tensors (no graph: the op records its own node).
 */
export function runKernel<A>(kernel: Kernel<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
  const backend = inputs[0].backend;
  const shapes = kernelShapes(
    kernel,
    attrs,
    inputs.map((t) => t.shape),
    inputs[0].dtype,
  );
  const storages = backend.run(
    kernel,
    inputs.map((t) => t.storage),
    attrs,
    shapes,
  );
  return storages.map((s, i) => new Tensor(s, shapes.outputs[i], backend));
}

/** The only output of a single-output kernel. */
export function runKernel1<A>(kernel: Kernel<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  return runKernel(kernel, inputs, attrs)[0];
}

/** The same values under another shape of the same size (no copy: storages are immutable). */
export function view(x: Tensor, shape: Shape): Tensor {
  return new Tensor(x.storage, shape, x.backend);
}

/** A constant tensor of `values` (taken over) on `like`'s backend. */
export function constant(values: TypedArray, shape: Shape, like: Tensor): Tensor {
  return new Tensor(like.backend.upload(values), shape, like.backend);
}

/** A number becomes a 0-d constant of `like`'s dtype and backend. */
export function asTensor(value: Scalar, like: Tensor, op = 'op'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new Error(`${op}: expected a Tensor or a number, got ${describeValue(value)}`);
  const values = like.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return constant(values, [], like);
}

/** Inputs of one op must share a dtype and a backend. */
export function assertCompatible(op: string, a: Tensor, b: Tensor, names: [string, string] = ['a', 'b']): void {
  for (const [t, name] of [
    [a, names[0]],
    [b, names[1]],
  ] as const) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describeValue(t)}`);
  }
  if (a.dtype !== b.dtype) {
    throw new Error(
      `${op}: dtype mismatch: ${names[0]} is ${a.dtype} ${fmt(a.shape)}, ${names[1]} is ${b.dtype} ${fmt(b.shape)} (convert one with .to('${a.dtype}'))`,
    );
  }
  if (a.backend !== b.backend) {
    throw new Error(`${op}: ${names[0]} lives on backend '${a.backend.name}', ${names[1]} on '${b.backend.name}'`);
  }
}

/** A short description of a value that should have been a tensor, for error messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length} (wrap it: tensor([...]))`;
  if (typeof v === 'object') {
    const json = JSON.stringify(v);
    return `an object ${json && json.length <= 60 ? json : `(${v.constructor?.name ?? 'Object'})`}`;
  }
  return `${typeof v} ${String(v)}`;
}

export function assertNdim(op: string, name: string, t: Tensor, ndim: number, layout?: string): void {
  if (t.ndim !== ndim) {
    throw new Error(`${op}: ${name} must be ${ndim}-D${layout ? ` (${layout})` : ''}, got shape ${fmt(t.shape)}`);
  }
}

/** An option given as n or [a, b] becomes [a, b]; each must be an integer >= min. */
export function pair(
  op: string,
  name: string,
  v: number | readonly [number, number] | undefined,
  fallback: number,
  min: number,
): [number, number] {
  const p: [number, number] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}
