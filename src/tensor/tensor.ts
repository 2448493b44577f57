/**
 * The Tensor: a shape, a dtype, backend storage, and (when it came from a differentiable op
 * with an input that requires grad) the autograd node that made it.
 *
 * Tensors are immutable values: every op returns a new tensor, and storage is never written
 * after it is created, so the graph can keep inputs for backward without copying. The only
 * in-place operation is `assign`, for optimizer updates and running statistics, and it is
 * refused on tensors that are part of a graph. Assigned values survive `tidy` scopes.
 */
import { runBackward, type Node } from '../autograd/engine.js';
import type { Backend, Storage } from '../backend/backend.js';
import { keep, unkeep } from '../backend/memory.js';
import * as ops from '../ops/index.js';
import type { DType, TypedArray } from './dtype.js';
import { onesLike } from './creation.js';
import { formatTensor } from './format.js';
import { fmt, sameShape, sizeOf, type Shape } from './shape.js';

export type NestedArray = number | NestedArray[];
export type Scalar = Tensor | number;

export class Tensor {
  readonly shape: readonly number[];
  readonly backend: Backend;
  private _grad: Tensor | null = null;
  private _storage: Storage;
  private _requiresGrad: boolean;
  private _node: Node | null;

  constructor(storage: Storage, shape: Shape, backend: Backend, opts: { requiresGrad?: boolean; node?: Node | null } = {}) {
    if (sizeOf(shape) !== storage.size) {
      throw new Error(`Tensor: shape ${fmt(shape)} needs ${sizeOf(shape)} elements, storage has ${storage.size}`);
    }
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.backend = backend;
    this._node = opts.node ?? null;
    this._requiresGrad = this._node !== null || (opts.requiresGrad ?? false);
  }

  /**
   * Gradient accumulated by `backward()` (leaves only, like PyTorch). It survives `tidy` scopes
   * until it is replaced or cleared.
   */
  get grad(): Tensor | null { return this._grad; }
  set grad(g: Tensor | null) {
    const old = this._grad;
    this._grad = g ? keep(g) : null;
    if (old && old.storage !== g?.storage) unkeep(old);
  }

  get storage(): Storage { return this._storage; }
  get dtype(): DType { return this._storage.dtype; }
  get size(): number { return this._storage.size; }
  get ndim(): number { return this.shape.length; }
  /** The op that made this tensor (null for leaves and constants). */
  get node(): Node | null { return this._node; }
  /** Leaves are tensors not made by a recorded op; only leaves receive `.grad`. */
  get isLeaf(): boolean { return this._node === null; }

  get requiresGrad(): boolean { return this._requiresGrad; }
  set requiresGrad(flag: boolean) {
    if (!flag && this._node) throw new Error('requiresGrad: cannot turn off requiresGrad of a non-leaf tensor (use detach())');
    this._requiresGrad = flag;
  }

  /** Same storage, new node (used by the op machinery). */
  withNode(node: Node): Tensor {
    return new Tensor(this._storage, this.shape, this.backend, { node });
  }

  /** Same values, cut from the graph, not requiring grad. */
  detach(): Tensor {
    return new Tensor(this._storage, this.shape, this.backend);
  }

  /**
   * Replaces this tensor's values in place with `value`'s (same shape and dtype). Only for
   * tensors outside any graph under construction: parameters between steps, running stats.
   */
  assign(value: Tensor): this {
    if (this._node) throw new Error('assign: cannot assign to a tensor produced by an op (it is part of a graph)');
    if (!sameShape(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new Error(`assign: expected a ${this.dtype} tensor of shape ${fmt(this.shape)}, got ${value.dtype} ${fmt(value.shape)}`);
    }
    // an assigned value outlives any tidy scope (parameters, running statistics); the one it
    // replaces goes with the current scope
    const old = this._storage;
    this._storage = keep(value).storage;
    if (old !== this._storage) unkeep({ storage: old });
    return this;
  }

  // ---- read-out ----------------------------------------------------------------------------

  /** A flat copy of the values (Float32Array or Float64Array). */
  data(): TypedArray {
    return this.backend.toValues(this._storage);
  }

  /** The value of a tensor with exactly one element. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, expected 1`);
    return this.data()[0];
  }

  /** Nested arrays (a plain number for a 0-d tensor). */
  toArray(): NestedArray {
    const values = this.data();
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return values[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return formatTensor(this.data(), this.shape, this.dtype, this.requiresGrad);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- autograd ----------------------------------------------------------------------------

  /**
   * Reverse-mode differentiation from this tensor. `grad` (the cotangent) may be left out only
   * for a one-element tensor, where it defaults to 1.
   */
  backward(grad?: Tensor): void {
    if (!this.requiresGrad) {
      throw new Error('backward: tensor does not require grad (no input of the computation had requiresGrad: true, or it ran under noGrad)');
    }
    let seed = grad;
    if (!seed) {
      if (this.size !== 1) {
        throw new Error(`backward: tensor of shape ${fmt(this.shape)} is not a scalar; pass the cotangent explicitly, e.g. y.backward(onesLike(y))`);
      }
      seed = onesLike(this);
    } else if (!sameShape(seed.shape, this.shape) || seed.dtype !== this.dtype) {
      throw new Error(`backward: gradient is ${seed.dtype} ${fmt(seed.shape)}, expected ${this.dtype} ${fmt(this.shape)}`);
    }
    runBackward(this, seed.detach());
  }

  // ---- method forms of the ops (see src/ops for the math) ------------------------------------

  add(other: Scalar): Tensor { return ops.add(this, other); }
  sub(other: Scalar): Tensor { return ops.sub(this, other); }
  mul(other: Scalar): Tensor { return ops.mul(this, other); }
  div(other: Scalar): Tensor { return ops.div(this, other); }
  pow(other: Scalar): Tensor { return ops.pow(this, other); }
  maximum(other: Scalar): Tensor { return ops.maximum(this, other); }
  minimum(other: Scalar): Tensor { return ops.minimum(this, other); }
  eq(other: Scalar): Tensor { return ops.eq(this, other); }
  gt(other: Scalar): Tensor { return ops.gt(this, other); }
  ge(other: Scalar): Tensor { return ops.ge(this, other); }
  lt(other: Scalar): Tensor { return ops.lt(this, other); }
  le(other: Scalar): Tensor { return ops.le(this, other); }

  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  relu(): Tensor { return ops.relu(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  floor(): Tensor { return ops.floor(this); }
  round(): Tensor { return ops.round(this); }
  clamp(min: number | null, max: number | null): Tensor { return ops.clamp(this, min, max); }
  to(dtype: DType): Tensor { return ops.cast(this, dtype); }

  sum(axes?: number | readonly number[], keepdim = false): Tensor { return ops.sum(this, axes, keepdim); }
  mean(axes?: number | readonly number[], keepdim = false): Tensor { return ops.mean(this, axes, keepdim); }
  max(axes?: number | readonly number[], keepdim = false): Tensor { return ops.max(this, axes, keepdim); }
  min(axes?: number | readonly number[], keepdim = false): Tensor { return ops.min(this, axes, keepdim); }
  var(axes?: number | readonly number[], opts?: ops.VarOptions): Tensor { return ops.variance(this, axes, opts); }

  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  flatten(startAxis = 0): Tensor { return ops.flatten(this, startAxis); }
  permute(perm: readonly number[]): Tensor { return ops.permute(this, perm); }
  transpose(a = -2, b = -1): Tensor { return ops.transpose(this, a, b); }
  expand(shape: readonly number[]): Tensor { return ops.expand(this, shape); }
  slice(starts: readonly number[], ends?: readonly (number | undefined)[]): Tensor { return ops.slice(this, starts, ends); }
  pad(pads: readonly (readonly [number, number])[], value = 0): Tensor { return ops.pad(this, pads, value); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
}
