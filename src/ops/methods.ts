/**
 * The method forms of the ops (`x.add(y)`, `x.relu()`, ...), installed onto Tensor.prototype
 * here, in the ops layer, so that src/tensor never imports the ops (the tfjs chained-ops
 * pattern). The `declare module` block tells TypeScript about them. Importing src/ops/index.ts
 * (or dynopool's top level, or src/backends/index.ts) installs them, and `backward()` with them
 * (src/autograd/engine.ts).
 */
import '../autograd/engine.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor, type Scalar } from '../tensor/tensor.js';
import { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, pow, sub } from './elementwise/binary.js';
import {
  abs,
  cast,
  clamp,
  exp,
  floor,
  leakyRelu,
  log,
  neg,
  relu,
  round,
  sigmoid,
  sqrt,
  tanh,
} from './elementwise/unary.js';
import { matmul } from './matmul/matmul.js';
import { expand, flatten, pad, permute, reshape, slice, transpose } from './movement/movement.js';
import { max, mean, min, sum, variance, type VarOptions } from './reduce/reduce.js';
import { logSoftmax, softmax } from './softmax/softmax.js';

type Axes = number | readonly number[];

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** a + b, broadcasting. */
    add(other: Scalar): Tensor;
    /** a - b, broadcasting. */
    sub(other: Scalar): Tensor;
    /** a * b, broadcasting. */
    mul(other: Scalar): Tensor;
    /** a / b, broadcasting. */
    div(other: Scalar): Tensor;
    /** a ** b, broadcasting. */
    pow(other: Scalar): Tensor;
    /** Element-wise maximum (a tie gives each input half the gradient). */
    maximum(other: Scalar): Tensor;
    /** Element-wise minimum (a tie gives each input half the gradient). */
    minimum(other: Scalar): Tensor;
    /** a == b as 1 / 0 (not differentiable). */
    eq(other: Scalar): Tensor;
    /** a > b as 1 / 0 (not differentiable). */
    gt(other: Scalar): Tensor;
    /** a >= b as 1 / 0 (not differentiable). */
    ge(other: Scalar): Tensor;
    /** a < b as 1 / 0 (not differentiable). */
    lt(other: Scalar): Tensor;
    /** a <= b as 1 / 0 (not differentiable). */
    le(other: Scalar): Tensor;

    /** -x. */
    neg(): Tensor;
    /** e^x. */
    exp(): Tensor;
    /** Natural logarithm. */
    log(): Tensor;
    /** Square root. */
    sqrt(): Tensor;
    /** |x| (gradient 0 at 0). */
    abs(): Tensor;
    /** max(x, 0) (gradient 0 at 0). */
    relu(): Tensor;
    /** x if x > 0 else negativeSlope * x (default 0.01). */
    leakyRelu(negativeSlope?: number): Tensor;
    /** 1 / (1 + e^-x). */
    sigmoid(): Tensor;
    /** Hyperbolic tangent. */
    tanh(): Tensor;
    /** Rounds down (gradient 0). */
    floor(): Tensor;
    /** floor(x + 0.5) (gradient 0; see `roundSurrogate`). */
    round(): Tensor;
    /** Clamps into [min, max] (null: no bound); the gradient passes at the bounds. */
    clamp(min: number | null, max: number | null): Tensor;
    /** A copy in `dtype` (differentiable). */
    to(dtype: DType): Tensor;

    /** Sum over `axes` (default all). */
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    /** Mean over `axes` (default all). */
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    /** Maximum over `axes`; ties split the gradient. */
    max(axes?: Axes, keepdim?: boolean): Tensor;
    /** Minimum over `axes`; ties split the gradient. */
    min(axes?: Axes, keepdim?: boolean): Tensor;
    /** Variance over `axes` (unbiased unless `opts.correction` says otherwise). */
    var(axes?: Axes, opts?: VarOptions): Tensor;

    /** The same values in a new shape. */
    reshape(shape: readonly number[]): Tensor;
    /** Merges the axes from `startAxis` (default 1) on. */
    flatten(startAxis?: number): Tensor;
    /** Reorders the axes. */
    permute(perm: readonly number[]): Tensor;
    /** Swaps two axes (default the last two). */
    transpose(a?: number, b?: number): Tensor;
    /** Broadcasts to `shape`. */
    expand(shape: readonly number[]): Tensor;
    /** The sub-tensor from `starts` to `ends` (exclusive) per axis. */
    slice(starts: readonly number[], ends?: readonly (number | undefined)[]): Tensor;
    /** Pads each axis with `[before, after]` values of `value`. */
    pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    /** Matrix product (see `matmul`). */
    matmul(other: Tensor): Tensor;
    /** Softmax along `axis` (default the last). */
    softmax(axis?: number): Tensor;
    /** log(softmax(x)) along `axis`, computed stably. */
    logSoftmax(axis?: number): Tensor;
  }
}

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: never[]) => unknown } = {
  add(other: Scalar) {
    return add(this, other);
  },
  sub(other: Scalar) {
    return sub(this, other);
  },
  mul(other: Scalar) {
    return mul(this, other);
  },
  div(other: Scalar) {
    return div(this, other);
  },
  pow(other: Scalar) {
    return pow(this, other);
  },
  maximum(other: Scalar) {
    return maximum(this, other);
  },
  minimum(other: Scalar) {
    return minimum(this, other);
  },
  eq(other: Scalar) {
    return eq(this, other);
  },
  gt(other: Scalar) {
    return gt(this, other);
  },
  ge(other: Scalar) {
    return ge(this, other);
  },
  lt(other: Scalar) {
    return lt(this, other);
  },
  le(other: Scalar) {
    return le(this, other);
  },

  neg() {
    return neg(this);
  },
  exp() {
    return exp(this);
  },
  log() {
    return log(this);
  },
  sqrt() {
    return sqrt(this);
  },
  abs() {
    return abs(this);
  },
  relu() {
    return relu(this);
  },
  leakyRelu(negativeSlope?: number) {
    return leakyRelu(this, negativeSlope);
  },
  sigmoid() {
    return sigmoid(this);
  },
  tanh() {
    return tanh(this);
  },
  floor() {
    return floor(this);
  },
  round() {
    return round(this);
  },
  clamp(min: number | null, max: number | null) {
    return clamp(this, min, max);
  },
  to(dtype: DType) {
    return cast(this, dtype);
  },

  sum(axes?: Axes, keepdim = false) {
    return sum(this, axes, keepdim);
  },
  mean(axes?: Axes, keepdim = false) {
    return mean(this, axes, keepdim);
  },
  max(axes?: Axes, keepdim = false) {
    return max(this, axes, keepdim);
  },
  min(axes?: Axes, keepdim = false) {
    return min(this, axes, keepdim);
  },
  var(axes?: Axes, opts?: VarOptions) {
    return variance(this, axes, opts);
  },

  reshape(shape: readonly number[]) {
    return reshape(this, shape);
  },
  flatten(startAxis = 0) {
    return flatten(this, startAxis);
  },
  permute(perm: readonly number[]) {
    return permute(this, perm);
  },
  transpose(a = -2, b = -1) {
    return transpose(this, a, b);
  },
  expand(shape: readonly number[]) {
    return expand(this, shape);
  },
  slice(starts: readonly number[], ends?: readonly (number | undefined)[]) {
    return slice(this, starts, ends);
  },
  pad(pads: readonly (readonly [number, number])[], value = 0) {
    return pad(this, pads, value);
  },
  matmul(other: Tensor) {
    return matmul(this, other);
  },
  softmax(axis = -1) {
    return softmax(this, axis);
  },
  logSoftmax(axis = -1) {
    return logSoftmax(this, axis);
  },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

/** The names of the method forms (for documentation and tests). */
export const METHOD_FORMS: readonly string[] = Object.keys(methods);
