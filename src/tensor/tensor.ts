/**
 * The Tensor: a shape, a dtype, backend storage, and (when it came from a differentiable op
 * with an input that requires grad) the autograd node that made it.
 *
 * Tensors are immutable values: every op returns a new tensor, and storage is never written
 * after it is created, so the graph can keep inputs for backward without copying. The only
 * in-place operation is `assign`, for optimizer updates and running statistics, and it is
 * refused on tensors that are part of a graph. Assigned values survive `tidy` scopes. Each
 * `assign` bumps the tensor's `version` (PyTorch's version counter): a graph node remembers the
 * versions of its inputs, and `backward()` refuses a node whose input was assigned since, rather
 * than silently giving the gradient at the new value.
 *
 * This file knows neither the ops nor the autograd engine: the method forms of the ops
 * (`x.add(y)`, `x.relu()`, ...) are installed onto Tensor.prototype by src/ops/methods.ts, and
 * `backward()` by src/autograd/engine.ts (the tfjs chained-ops pattern, typed by module
 * augmentation), so the layers point one way: backend <- tensor <- autograd <- ops.
 */
import type { Backend, Storage } from '../backend/backend.js';
import { keep, unkeep } from '../backend/memory.js';
import type { DType, TypedArray } from './dtype.js';
import { formatTensor } from './format.js';
import { fmt, sameShape, sizeOf, type Shape } from './shape.js';

export type NestedArray = number | NestedArray[];

/**
 * The autograd record of the op that made a tensor: the op's name, its inputs, and a function
 * from the output's cotangent to one cotangent per input (src/autograd/engine.ts walks them).
 */
export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /**
   * Cotangent of each input, in the order of `inputs` (null where an input needs none or the
   * gradient is zero). Runs under noGrad. The engine checks that there is exactly one entry per
   * input and throws, naming the op, when there is not.
   */
  backward(dy: Tensor): readonly (Tensor | null)[];
  /** `version` of each input when the node was recorded; backward checks them (absent: unchecked). */
  readonly versions?: readonly number[];
}
export type Scalar = Tensor | number;

export class Tensor {
  readonly shape: readonly number[];
  readonly backend: Backend;
  private _grad: Tensor | null = null;
  private _storage: Storage;
  private _requiresGrad: boolean;
  private _node: Node | null;
  private _version = 0;

  constructor(
    storage: Storage,
    shape: Shape,
    backend: Backend,
    opts: { requiresGrad?: boolean; node?: Node | null } = {},
  ) {
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
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(g: Tensor | null) {
    const old = this._grad;
    this._grad = g ? keep(g) : null;
    if (old && old.storage !== g?.storage) unkeep(old);
  }

  get storage(): Storage {
    return this._storage;
  }
  get dtype(): DType {
    return this._storage.dtype;
  }
  get size(): number {
    return this._storage.size;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** The op that made this tensor (null for leaves and constants). */
  get node(): Node | null {
    return this._node;
  }
  /** Leaves are tensors not made by a recorded op; only leaves receive `.grad`. */
  get isLeaf(): boolean {
    return this._node === null;
  }

  /**
   * How many times `assign` has replaced this tensor's values (setting `.grad` or `requiresGrad`
   * does not count). A new tensor, `detach()` included, starts at 0.
   */
  get version(): number {
    return this._version;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(flag: boolean) {
    if (!flag && this._node)
      throw new Error('requiresGrad: cannot turn off requiresGrad of a non-leaf tensor (use detach())');
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
   * Bumps `version`, so a graph recorded before cannot be differentiated any more.
   */
  assign(value: Tensor): this {
    if (this._node) throw new Error('assign: cannot assign to a tensor produced by an op (it is part of a graph)');
    if (!sameShape(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new Error(
        `assign: expected a ${this.dtype} tensor of shape ${fmt(this.shape)}, got ${value.dtype} ${fmt(value.shape)}`,
      );
    }
    // an assigned value outlives any tidy scope (parameters, running statistics); the one it
    // replaces goes with the current scope
    const old = this._storage;
    this._storage = keep(value).storage;
    if (old !== this._storage) unkeep({ storage: old });
    this._version++;
    return this;
  }

  // ---- read-out ----------------------------------------------------------------------------

  /**
   * A flat copy of the values (Float32Array or Float64Array). On an asynchronous backend this
   * throws: use `dataAsync()`.
   */
  data(): TypedArray {
    return this.backend.read(this._storage);
  }

  /** A flat copy of the values once they are computed (any backend; the way to read an asynchronous one). */
  dataAsync(): Promise<TypedArray> {
    return this.backend.readAsync(this._storage);
  }

  /** The value of a tensor with exactly one element. */
  item(): number {
    if (this.size !== 1)
      throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, expected 1`);
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

  /** The values printed as PyTorch does (`tensor([[1., 2.]], dtype=float32)`); reads them back. */
  toString(): string {
    return formatTensor(this.data(), this.shape, this.dtype, this.requiresGrad);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
