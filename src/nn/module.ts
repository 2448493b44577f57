/**
 * Modules: PyTorch-like containers of parameters, buffers and sub-modules.
 *
 * Registration is explicit (no attribute magic): a layer calls `this.param(name, t)`,
 * `this.buffer(name, t)` and `this.child(name, m)` in its constructor and keeps the returned
 * objects in its own fields. Names are dotted paths (`features.0.weight`), as in PyTorch, so a
 * state dict maps 1:1 onto a PyTorch one.
 *
 * SIZES. Spatial layers take and return a `FeatureMap`: the activation `x` and its size as two
 * 0-d tensors `[h, w]`. A DynOPool layer makes new size tensors that depend on its alpha (and on
 * the incoming sizes); layers that keep the spatial size pass the same size tensors on; layers
 * with a fixed stride make constant ones. So the size that each layer sees is an explicit,
 * differentiable function of every alpha upstream, threaded through `forward` rather than kept
 * in globals.
 *
 * COST. A feature map also carries `cost`: the paper's GMACs loss (eq. 7) of the layers that
 * produced it, accumulated as the forward runs. Each convolution adds its own term
 * (H_t W_t) / (H_0 W_0) * GMACs[l], a function of its output size tensors, so `cost` is a 0-d
 * tensor with live gradients to every alpha upstream, and it belongs to THIS forward pass:
 * the loss is read from the forward's output (`ImageClassifier.forwardWithCost`), never from
 * state that a later forward could overwrite. Layers that add no MACs pass `cost` on unchanged.
 */
import { type Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { asTensor } from '../ops/util.js';

/**
 * An activation with its spatial size as 0-d tensors (values equal x.shape[2], x.shape[3]) and
 * the GMACs loss of the layers that produced it in this forward pass (0-d, in GMACs per image).
 */
export interface FeatureMap {
  readonly x: Tensor;
  readonly size: readonly [Tensor, Tensor];
  readonly cost: Tensor;
}

/**
 * Wraps a 4-D activation. By default its size is a constant (x's own) and its cost 0: the
 * network input, or the output of a fixed resizer (pass the incoming `cost` on).
 */
export function featureMap(x: Tensor, size?: readonly [Tensor, Tensor], cost?: Tensor): FeatureMap {
  if (x.ndim !== 4) throw new Error(`featureMap: expected a 4-D NCHW tensor, got shape ${fmt(x.shape)}`);
  return { x, size: size ?? [asTensor(x.shape[2], x), asTensor(x.shape[3], x)], cost: cost ?? asTensor(0, x) };
}

/**
 * A module of any input and output types, for code that only walks the tree (parameters,
 * state dicts). `unknown` would not do: `forward` takes its input contravariantly.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

/**
 * Base class of layers and models: registered parameters, buffers and sub-modules with dotted
 * names, train/eval mode, and `forward` (see the file comment for sizes and cost).
 */
export abstract class Module<In = FeatureMap, Out = In> {
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module<unknown, unknown>>();

  /** Runs the layers in order. */
  abstract forward(input: In): Out;

  /** Registers a learnable parameter (it gets requiresGrad = true). */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this._parameters.set(name, t);
    return t;
  }

  /** Registers a non-learnable tensor saved in the state dict (running statistics). */
  protected buffer(name: string, t: Tensor): Tensor {
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a sub-module. */
  protected child<M extends AnyModule>(name: string, m: M): M {
    this._modules.set(name, m as Module<unknown, unknown>);
    return m;
  }

  /** Direct sub-modules, in registration order. */
  children(): Module<unknown, unknown>[] {
    return [...this._modules.values()];
  }

  /** This module and all below it, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module<unknown, unknown>][] {
    const out: [string, Module<unknown, unknown>][] = [[prefix, this as Module<unknown, unknown>]];
    const seen = new Set<Module<unknown, unknown>>([this as Module<unknown, unknown>]);
    for (const [name, m] of this._modules) {
      for (const entry of m.namedModules(prefix ? `${prefix}.${name}` : name)) {
        if (!seen.has(entry[1])) {
          seen.add(entry[1]);
          out.push(entry);
        }
      }
    }
    return out;
  }

  /** This module and every module below it, depth first. */
  modules(): Module<unknown, unknown>[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with dotted names; a module shared by two parents is listed once. */
  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m._parameters);
  }

  /** Every learnable parameter of the tree, in registration order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer of the tree with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m._buffers);
  }

  private collect(pick: (m: Module<unknown, unknown>) => Map<string, Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of pick(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Sets training mode here and below (batchnorm statistics, dropout). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Switches this module and every sub-module to evaluation mode (batchnorm uses running statistics, dropout is off).
   */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, detached views). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of [...this.namedParameters(), ...this.namedBuffers()]) out[k] = t.detach();
    return out;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers, in place. Strict:
   * every key must match, with the same shape and dtype; the error lists all problems at once.
   */
  loadStateDict(state: Record<string, Tensor>): void {
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    const mismatched = [...own]
      .filter(([k, t]) => k in state && (!sameShape(state[k].shape, t.shape) || state[k].dtype !== t.dtype))
      .map(([k, t]) => `${k}: expected ${t.dtype} ${fmt(t.shape)}, got ${state[k].dtype} ${fmt(state[k].shape)}`);
    if (missing.length || unexpected.length || mismatched.length) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      if (mismatched.length) parts.push(`shape/dtype mismatches: ${mismatched.join('; ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [k, t] of own) t.assign(state[k].detach());
  }
}

/** Runs spatial modules in order. */
export class Sequential extends Module<FeatureMap, FeatureMap> {
  readonly layers: Module<FeatureMap, FeatureMap>[];

  constructor(...layers: Module<FeatureMap, FeatureMap>[]) {
    super();
    this.layers = layers.map((m, i) => this.child(String(i), m));
  }

  /** Runs the layers in order. */
  forward(input: FeatureMap): FeatureMap {
    let f = input;
    for (const m of this.layers) f = m.forward(f);
    return f;
  }
}
