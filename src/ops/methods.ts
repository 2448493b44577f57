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
    add(other: Scalar): Tensor;
    sub(other: Scalar): Tensor;
    mul(other: Scalar): Tensor;
    div(other: Scalar): Tensor;
    pow(other: Scalar): Tensor;
    maximum(other: Scalar): Tensor;
    minimum(other: Scalar): Tensor;
    eq(other: Scalar): Tensor;
    gt(other: Scalar): Tensor;
    ge(other: Scalar): Tensor;
    lt(other: Scalar): Tensor;
    le(other: Scalar): Tensor;

    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    /** x if x > 0 else negativeSlope * x (default 0.01). */
    leakyRelu(negativeSlope?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    floor(): Tensor;
    round(): Tensor;
    clamp(min: number | null, max: number | null): Tensor;
    to(dtype: DType): Tensor;

    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    max(axes?: Axes, keepdim?: boolean): Tensor;
    min(axes?: Axes, keepdim?: boolean): Tensor;
    var(axes?: Axes, opts?: VarOptions): Tensor;

    reshape(shape: readonly number[]): Tensor;
    flatten(startAxis?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    slice(starts: readonly number[], ends?: readonly (number | undefined)[]): Tensor;
    pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    matmul(other: Tensor): Tensor;
    softmax(axis?: number): Tensor;
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
