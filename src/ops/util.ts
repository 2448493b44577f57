/** Small helpers every op file uses: wrapping kernel results, scalars, and input checks. */
import type { Storage } from '../backend/backend.js';
import { fmt, type Shape } from '../tensor/shape.js';
import { Tensor, type Scalar } from '../tensor/tensor.js';

/** A constant tensor (no graph) holding a kernel's result, on `like`'s backend. */
export function raw(storage: Storage, shape: Shape, like: Tensor): Tensor {
  return new Tensor(storage, shape, like.backend);
}

/** A number becomes a 0-d constant of `like`'s dtype and backend. */
export function asTensor(value: Scalar, like: Tensor, op = 'op'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new Error(`${op}: expected a Tensor or a number, got ${value === null ? 'null' : typeof value}`);
  const values = like.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return raw(like.backend.fromValues(values), [], like);
}

/** Inputs of one op must share a dtype and a backend. */
export function assertCompatible(op: string, a: Tensor, b: Tensor, names: [string, string] = ['a', 'b']): void {
  if (a.dtype !== b.dtype) {
    throw new Error(`${op}: dtype mismatch: ${names[0]} is ${a.dtype} ${fmt(a.shape)}, ${names[1]} is ${b.dtype} ${fmt(b.shape)} (convert one with .to('${a.dtype}'))`);
  }
  if (a.backend !== b.backend) {
    throw new Error(`${op}: ${names[0]} lives on backend '${a.backend.name}', ${names[1]} on '${b.backend.name}'`);
  }
}

export function assertNdim(op: string, name: string, t: Tensor, ndim: number, layout?: string): void {
  if (t.ndim !== ndim) {
    throw new Error(`${op}: ${name} must be ${ndim}-D${layout ? ` (${layout})` : ''}, got shape ${fmt(t.shape)}`);
  }
}

/** An option given as n or [a, b] becomes [a, b]; each must be an integer >= min. */
export function pair(op: string, name: string, v: number | readonly [number, number] | undefined, fallback: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}
