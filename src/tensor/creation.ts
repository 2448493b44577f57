/** Making tensors: from values, constant fills, ranges, identity, and seeded random draws. */
import { getBackend } from '../backend/registry.js';
import { allocate, assertDType, type DType, type TypedArray } from './dtype.js';
import { defaultGenerator, type Generator } from './random.js';
import { assertValidShape, fmt, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/** dtype (default float32) and requiresGrad of a new tensor. */
export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Creation options of `tensor`, plus a shape for flat values. */
export interface TensorOptions extends CreateOptions {
  /** Shape for flat values (default: inferred from nesting; a flat array is 1-D). */
  shape?: Shape;
}

/** Creation options plus the generator to draw from (default: the global one). */
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

/** Wraps a typed array as a tensor on the current backend (takes ownership of `values`). */
export function fromTypedArray(values: TypedArray, shape: Shape, opts: { requiresGrad?: boolean } = {}): Tensor {
  const backend = getBackend();
  return new Tensor(backend.upload(values), shape, backend, opts);
}

function inferShape(values: NestedArray | readonly NestedArray[], path: string): number[] {
  if (typeof values === 'number') return [];
  if (!Array.isArray(values))
    throw new Error(`tensor: expected a number or an array at ${path || 'top level'}, got ${typeof values}`);
  if (values.length === 0) return [0];
  const inner = inferShape(values[0], `${path}[0]`);
  values.forEach((v, i) => {
    const s = inferShape(v, `${path}[${i}]`);
    if (fmt(s) !== fmt(inner))
      throw new Error(`tensor: ragged nested array: ${path}[${i}] has shape ${fmt(s)}, ${path}[0] has ${fmt(inner)}`);
  });
  return [values.length, ...inner];
}

/**
 * A tensor from a number, nested arrays, or a flat array / typed array plus `shape`.
 * `dtype` defaults to float32 (float64 for a Float64Array).
 */
export function tensor(values: NestedArray | readonly number[] | TypedArray, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  assertDType('tensor', dtype);
  let flat: ArrayLike<number>;
  let shape: Shape;
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    shape = opts.shape ?? [flat.length];
  } else {
    const inferred = inferShape(values as NestedArray, '');
    flat = typeof values === 'number' ? [values] : ((values as NestedArray[]).flat(Infinity as 1) as number[]);
    shape = opts.shape ?? inferred;
  }
  assertValidShape('tensor', shape);
  if (sizeOf(shape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${fmt(shape)} (${sizeOf(shape)} elements)`);
  }
  const data = allocate(dtype, flat.length);
  data.set(flat);
  return fromTypedArray(data, shape, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  assertValidShape('full', shape);
  const dtype = opts.dtype ?? 'float32';
  assertDType('full', dtype);
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return fromTypedArray(data, shape, opts);
}

/** A tensor of zeros. */
export const zeros = (shape: Shape, opts: CreateOptions = {}): Tensor => full(shape, 0, opts);
/** A tensor of ones. */
export const ones = (shape: Shape, opts: CreateOptions = {}): Tensor => full(shape, 1, opts);
/** A tensor of `t`'s shape and dtype filled with `value`. */
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}): Tensor =>
  /** A tensor of `shape` filled with `value`. */
  full(t.shape, value, { dtype: t.dtype, ...opts });
/** Zeros of `t`'s shape and dtype. */
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => fullLike(t, 0, opts);
/** Ones of `t`'s shape and dtype. */
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => fullLike(t, 1, opts);

/** A 0-d tensor. */
export const scalar = (value: number, opts: CreateOptions = {}): Tensor => full([], value, opts);

/** [start, start + step, ...) up to but excluding `end`; `arange(n)` is 0..n-1. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(start) || !Number.isFinite(end)) {
    throw new Error(`arange: start, end and step must be finite and step non-zero (got ${start}, ${end}, ${step})`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(opts.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromTypedArray(data, [n], opts);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  assertValidShape('eye', [n, m]);
  const data = allocate(opts.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromTypedArray(data, [n, m], opts);
}

function draw(op: string, shape: Shape, opts: RandomOptions, sample: (g: Generator) => number): Tensor {
  assertValidShape(op, shape);
  const g = opts.generator ?? defaultGenerator;
  const data = allocate(opts.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = sample(g);
  return fromTypedArray(data, shape, opts);
}

/** Uniform in [0, 1), from `opts.generator` (default: the global generator, see manualSeed). */
export const rand = (shape: Shape, opts: RandomOptions = {}): Tensor => draw('rand', shape, opts, (g) => g.uniform());

/** Standard normal, from `opts.generator` (default: the global generator). */
export const randn = (shape: Shape, opts: RandomOptions = {}): Tensor => draw('randn', shape, opts, (g) => g.normal());
