/**
 * Movement ops: they rearrange values without arithmetic, so each gradient is the inverse
 * movement of dy (reshape <-> reshape, permute <-> inverse permute, expand <-> sum,
 * slice <-> zero pad, pad <-> slice, concat <-> slices).
 */
import { defineOp, record } from '../../autograd/op.js';
import { assertValidShape, fmt, normAxis, sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { sumTo } from '../elementwise/binary.js';
import { assertCompatible, runKernel1, view } from '../util.js';
import { concatKernel, expandKernel, padKernel, permuteKernel, sliceKernel } from './movement.kernels.js';

const reshapeOp = defineOp({
  name: 'reshape',
  inputs: ['x'],
  forward: ({ x }, { shape }: { shape: number[] }) => ({ output: view(x, shape), saved: null }),
  grads: { x: (dy, { inputs }) => dy.reshape(inputs.x.shape) },
});

/** Same values in a new shape (same size); one dimension may be -1 (inferred). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) throw new Error(`reshape: at most one dimension can be -1, got ${fmt(shape)}`);
  let out = [...shape];
  if (holes === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0)
      throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
    out = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  assertValidShape('reshape', out);
  if (sizeOf(out) !== x.size)
    throw new Error(
      `reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)} (${sizeOf(out)} elements)`,
    );
  return reshapeOp({ x }, { shape: out });
}

/** Collapses the axes from `startAxis` on into one. */
export function flatten(x: Tensor, startAxis = 0): Tensor {
  const s = normAxis('flatten', startAxis, x.ndim);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s))]);
}

const permuteOp = defineOp({
  name: 'permute',
  inputs: ['x'],
  forward: ({ x }, { perm }: { perm: number[] }) => ({
    output: runKernel1(permuteKernel, [x], { perm }),
    saved: null,
  }),
  grads: {
    x: (dy, { attrs: { perm } }) => {
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        inverse[p] = i;
      });
      return dy.permute(inverse);
    },
  },
});

/** Reorders axes: output axis i is input axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis('permute', a, x.ndim));
  if (p.length !== x.ndim || new Set(p).size !== p.length) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${x.ndim} axes of ${fmt(x.shape)}`);
  }
  return permuteOp({ x }, { perm: p });
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis('transpose', a, x.ndim),
    j = normAxis('transpose', b, x.ndim);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

const expandOp = defineOp({
  name: 'expand',
  inputs: ['x'],
  forward: ({ x }, { shape }: { shape: number[] }) => ({
    output: runKernel1(expandKernel, [x], { shape }),
    saved: null,
  }),
  grads: { x: (dy, { inputs }) => sumTo(dy, inputs.x.shape) },
});

/**
 * Broadcasts to `shape` (size-1 dims repeat, new leading dims are added; -1 keeps a dim).
 * d/dx: dy summed over the repeated axes.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer dimensions ${fmt(shape)}`);
  const out = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  assertValidShape('expand', out);
  x.shape.forEach((d, i) => {
    if (d !== 1 && d !== out[lead + i])
      throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}: dimension ${lead + i} is ${d}, not 1`);
  });
  if (lead === 0 && out.every((d, i) => d === x.shape[i])) return x;
  return expandOp({ x }, { shape: out });
}

interface SliceAttrs {
  begin: number[];
  size: number[];
}

const sliceOp = defineOp({
  name: 'slice',
  inputs: ['x'],
  forward: ({ x }, { begin, size }: SliceAttrs) => ({
    output: runKernel1(sliceKernel, [x], { begin, size }),
    saved: null,
  }),
  grads: {
    x: (dy, { inputs: { x }, attrs: { begin, size } }) =>
      dy.pad(begin.map((b, i) => [b, x.shape[i] - b - size[i]] as const)),
  },
});

/**
 * x[starts[0]:ends[0], starts[1]:ends[1], ...]: per-axis half-open ranges, negative indices
 * count from the end (as in Python), indices beyond the end are clipped; axes not listed are
 * taken whole. d/dx: dy zero-padded back into place.
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly (number | undefined)[] = []): Tensor {
  if (starts.length > x.ndim || ends.length > x.ndim) {
    throw new Error(
      `slice: ${Math.max(starts.length, ends.length)} ranges given for a tensor of shape ${fmt(x.shape)}`,
    );
  }
  const begin: number[] = [],
    size: number[] = [];
  x.shape.forEach((d, i) => {
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = starts[i],
      e = ends[i];
    if ((s !== undefined && !Number.isInteger(s)) || (e !== undefined && !Number.isInteger(e))) {
      throw new Error(`slice: range ${s}:${e} of axis ${i} must be integers`);
    }
    const b = norm(s ?? 0),
      end = norm(e ?? d);
    begin.push(b);
    size.push(Math.max(0, end - b));
  });
  return sliceOp({ x }, { begin, size });
}

const padOp = defineOp({
  name: 'pad',
  inputs: ['x'],
  forward: ({ x }, { pads, value }: { pads: [number, number][]; value: number }) => ({
    output: runKernel1(padKernel, [x], { pads, value }),
    saved: null,
  }),
  grads: {
    x: (dy, { inputs: { x }, attrs: { pads } }) =>
      dy.slice(
        pads.map((p) => p[0]),
        pads.map((p, i) => p[0] + x.shape[i]),
      ),
  },
});

/**
 * Constant padding: pads[i] = [before, after] for axis i (missing trailing axes: no padding).
 * d/dx: the slice of dy where x sits.
 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length > x.ndim) throw new Error(`pad: ${pads.length} pad pairs for a tensor of shape ${fmt(x.shape)}`);
  const full = x.shape.map((_, i): [number, number] => {
    const p = pads[i] ?? [0, 0];
    if (p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new Error(`pad: padding of axis ${i} must be a pair of non-negative integers, got ${JSON.stringify(p)}`);
    }
    return [p[0], p[1]];
  });
  return padOp({ x }, { pads: full, value });
}

/** Joins tensors along `axis`; all other dims must match. d/dx_k: the slice of dy for x_k. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const ax = normAxis('concat', axis, first.ndim);
  xs.forEach((t, k) => {
    assertCompatible('concat', first, t, ['tensor 0', `tensor ${k}`]);
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(
        `concat: tensor ${k} has shape ${fmt(t.shape)}, incompatible with ${fmt(first.shape)} along axis ${ax}`,
      );
    }
  });
  const output = runKernel1(concatKernel, xs, { axis: ax });
  const shape = output.shape;
  return record('concat', xs, output, (dy) => {
    let at = 0;
    return xs.map((t) => {
      const starts = shape.map((_, i) => (i === ax ? at : 0));
      const ends = shape.map((d, i) => (i === ax ? at + t.shape[ax] : d));
      at += t.shape[ax];
      return dy.slice(starts, ends);
    });
  });
}

/** Stacks same-shape tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const ax = normAxis('stack', axis, xs[0].ndim + 1);
  return concat(
    xs.map((t) => reshape(t, [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])),
    ax,
  );
}
