/**
 * Optimizers with parameter groups (PyTorch semantics). Each group has its own learning rate
 * and weight decay; DynOPool's alpha typically gets its own group with a lower lr and no decay
 * (design doc section 4). Updates run under noGrad and write parameters in place (`assign`).
 *
 * A group can also constrain its own updates, which is how alpha is trained:
 *
 *     { params: alphas, lr: 0.005, weightDecay: 0, warmupSteps: 1 * batchesPerEpoch, clipGrad: 2, project: [0.25, 16] }
 *
 * - `warmupSteps`: the group is frozen for its first steps (the weights learn first);
 * - `clipGrad`: each gradient element is clipped to [-clipGrad, clipGrad] before the update;
 * - `project`: after every step each parameter is clamped into [lo, hi] (projected SGD).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { keep, unkeep } from '../../backend/memory.js';
import { sgdUpdate } from '../../ops/optim/sgd.js';
import { zerosLike } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmt, sameShape } from '../../tensor/shape.js';

/** A parameter group as given to an optimizer: its parameters and any hyperparameters that differ from the defaults. */
export interface ParamGroupSpec {
  params: readonly Tensor[];
  name?: string;
  lr?: number;
  weightDecay?: number;
  /** SGD only: this group's momentum (default: the optimizer's). */
  momentum?: number;
  /**
   * The first `warmupSteps` calls of `step()` (counted by `Optimizer.steps`, so they survive a
   * checkpoint) leave this group's parameters and buffers untouched, as if they had no
   * gradient; projection still applies. Default 0.
   */
  warmupSteps?: number;
  /** Clip each gradient element to [-clipGrad, clipGrad] before the update; 0 (the default): no clip. */
  clipGrad?: number;
  /** `[lo, hi]`: after every step (warmup included), clamp each parameter into this box. */
  project?: readonly [number, number];
}

/** A parameter group as the optimizer holds it: its parameters and resolved hyperparameters. */
export interface ParamGroup {
  readonly params: readonly Tensor[];
  readonly name: string;
  lr: number;
  weightDecay: number;
  /** The lr the group started with; schedules scale it. */
  readonly initialLr: number;
  /** SGD only: momentum override for this group. */
  momentum?: number;
  /** Steps during which the group is not updated (see ParamGroupSpec). */
  readonly warmupSteps: number;
  /** Elementwise gradient clip (0: none). */
  readonly clipGrad: number;
  /** Box each parameter is clamped into after every step (null: none). */
  readonly project: readonly [number, number] | null;
}

/** Serializable optimizer state: hyperparameters per group, buffers per parameter. */
export interface OptimizerState {
  groups: { name: string; lr: number; weightDecay: number; initialLr: number; size: number; momentum?: number }[];
  /** keyed `${group}.${index}.${buffer}` */
  buffers: Record<string, Tensor>;
  steps: number;
}

/**
 * Base class of the optimizers: parameter groups, per-parameter buffers, a state dict for
 * checkpoints, and the per-group warmup, gradient clip and projection.
 */
export abstract class Optimizer {
  readonly groups: ParamGroup[];
  /** Per-parameter buffers (momentum, Adam moments). */
  protected readonly state = new Map<Tensor, Record<string, Tensor>>();
  /** Number of step() calls so far. */
  steps = 0;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], defaults: { lr: number; weightDecay?: number }) {
    const specs: ParamGroupSpec[] =
      params.length > 0 && !('params' in params[0])
        ? [{ params: params as Tensor[] }]
        : [...(params as ParamGroupSpec[])];
    const seen = new Set<Tensor>();
    this.groups = specs.map((g, i) => {
      for (const p of g.params) {
        if (seen.has(p))
          throw new Error(`${this.constructor.name}: a parameter ${fmt(p.shape)} appears in more than one group`);
        if (!p.requiresGrad)
          throw new Error(
            `${this.constructor.name}: parameter ${fmt(p.shape)} in group ${g.name ?? i} does not require grad`,
          );
        if (!p.isLeaf)
          throw new Error(
            `${this.constructor.name}: parameter ${fmt(p.shape)} in group ${g.name ?? i} is not a leaf tensor (it is the result of an op, so step() could not update it); pass the tensor itself, or x.detach() with requiresGrad set`,
          );
        seen.add(p);
      }
      const lr = g.lr ?? defaults.lr;
      if (!(lr >= 0)) throw new Error(`${this.constructor.name}: invalid learning rate ${lr} for group ${g.name ?? i}`);
      const weightDecay = g.weightDecay ?? defaults.weightDecay ?? 0;
      if (!(weightDecay >= 0))
        throw new Error(`${this.constructor.name}: invalid weight decay ${weightDecay} for group ${g.name ?? i}`);
      const name = g.name ?? String(i);
      const warmupSteps = g.warmupSteps ?? 0;
      if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0))
        throw new Error(
          `${this.constructor.name}: warmupSteps must be a non-negative integer, got ${warmupSteps} for group ${name}`,
        );
      const clipGrad = g.clipGrad ?? 0;
      if (!(clipGrad >= 0)) throw new Error(`${this.constructor.name}: invalid clipGrad ${clipGrad} for group ${name}`);
      const project = g.project ? ([g.project[0], g.project[1]] as const) : null;
      if (project && !(project[0] <= project[1]))
        throw new Error(
          `${this.constructor.name}: project [${project.join(', ')}] for group ${name} is not a box [lo, hi] with lo <= hi`,
        );
      return {
        params: g.params,
        name,
        lr,
        weightDecay,
        initialLr: lr,
        momentum: g.momentum,
        warmupSteps,
        clipGrad,
        project,
      };
    });
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  /**
   * One update of every parameter that has a gradient, except in groups still warming up;
   * gradients are clipped first and parameters projected after, where their group asks.
   */
  step(): void {
    this.steps++;
    noGrad(() => {
      for (const g of this.groups) {
        const warming = this.steps <= g.warmupSteps;
        for (const p of g.params) {
          if (!p.grad || warming) continue;
          const grad = g.clipGrad > 0 ? p.grad.clamp(-g.clipGrad, g.clipGrad) : p.grad;
          let s = this.state.get(p);
          if (!s) this.state.set(p, (s = {}));
          const before = Object.values(s);
          p.assign(this.update(p.detach(), grad, s, g));
          // the new buffers outlive the step's tidy scope; the replaced ones go with it
          keep(Object.values(s));
          unkeep(before);
        }
        if (g.project) for (const p of g.params) p.assign(p.detach().clamp(g.project[0], g.project[1]));
      }
    });
  }

  /** The new value of parameter p given its gradient, its buffers (mutable) and its group. */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, Tensor>, group: ParamGroup): Tensor;

  /** The buffer `name` of parameter `p`, created from `init` on first use. */
  protected buffer(state: Record<string, Tensor>, name: string, like: Tensor): Tensor {
    return (state[name] ??= zerosLike(like));
  }

  /** Hyperparameters per group and buffers per parameter, for checkpoints. */
  stateDict(): OptimizerState {
    const buffers: Record<string, Tensor> = {};
    this.groups.forEach((g, gi) =>
      g.params.forEach((p, pi) => {
        for (const [k, t] of Object.entries(this.state.get(p) ?? {})) buffers[`${gi}.${pi}.${k}`] = t;
      }),
    );
    return {
      groups: this.groups.map((g) => ({
        name: g.name,
        lr: g.lr,
        weightDecay: g.weightDecay,
        initialLr: g.initialLr,
        size: g.params.length,
        momentum: g.momentum,
      })),
      buffers,
      steps: this.steps,
    };
  }

  /** Restores hyperparameters and buffers from `stateDict()`. */
  loadStateDict(sd: OptimizerState): void {
    const shape = (gs: { name: string; size: number }[]) => gs.map((g) => `${g.name}:${g.size}`).join(', ');
    if (sd.groups.length !== this.groups.length || sd.groups.some((g, i) => g.size !== this.groups[i].params.length)) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: groups [${shape(sd.groups)}] do not match this optimizer's [${shape(this.groups.map((g) => ({ name: g.name, size: g.params.length })))}]`,
      );
    }
    this.state.clear();
    for (const [key, t] of Object.entries(sd.buffers)) {
      const [gi, pi, name] = key.split('.');
      const p = this.groups[Number(gi)]?.params[Number(pi)];
      if (!p || !name) throw new Error(`${this.constructor.name}.loadStateDict: buffer '${key}' names no parameter`);
      if (!sameShape(p.shape, t.shape))
        throw new Error(
          `${this.constructor.name}.loadStateDict: buffer '${key}' has shape ${fmt(t.shape)}, parameter has ${fmt(p.shape)}`,
        );
      const s = this.state.get(p) ?? {};
      s[name] = keep(t.detach());
      this.state.set(p, s);
    }
    sd.groups.forEach((g, i) =>
      Object.assign(this.groups[i], {
        lr: g.lr,
        weightDecay: g.weightDecay,
        initialLr: g.initialLr,
        momentum: g.momentum,
      }),
    );
    this.steps = sd.steps;
  }
}

/** Hyperparameters of SGD. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * SGD as in PyTorch: g = grad + wd p; buf = momentum buf + (1 - dampening) g (buf = g at the
 * first step); g = g + momentum buf (Nesterov) or buf; p = p - lr g.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], opts: SGDOptions) {
    super(params, opts);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening = 0');
  }

  /** One fused kernel per parameter (`sgdUpdate`), bit for bit the formula above as tensor ops. */
  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>, group: ParamGroup): Tensor {
    const momentum = group.momentum ?? this.momentum;
    const r = sgdUpdate(p, grad, state.momentum ?? null, {
      lr: group.lr,
      weightDecay: group.weightDecay,
      momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
    });
    if (r.momentum) state.momentum = r.momentum;
    return r.param;
  }
}

/** Hyperparameters of Adam and AdamW. */
export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam (L2 weight decay folded into the gradient) and AdamW (decoupled: p = p - lr wd p).
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p = p - lr mhat / (sqrt(vhat) + eps).
 */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], opts: AdamOptions) {
    super(params, opts);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>, group: ParamGroup): Tensor {
    const [b1, b2] = this.betas;
    const t = this.steps;
    let g = grad;
    let base = p;
    if (group.weightDecay) {
      if (this.decoupled) base = p.mul(1 - group.lr * group.weightDecay);
      else g = g.add(p.mul(group.weightDecay));
    }
    state.m = this.buffer(state, 'm', p)
      .mul(b1)
      .add(g.mul(1 - b1));
    state.v = this.buffer(state, 'v', p)
      .mul(b2)
      .add(g.mul(g).mul(1 - b2));
    const mhat = state.m.div(1 - b1 ** t);
    const vhat = state.v.div(1 - b2 ** t);
    return base.sub(mhat.div(vhat.sqrt().add(this.eps)).mul(group.lr));
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: readonly Tensor[] | readonly ParamGroupSpec[], opts: AdamOptions) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
  }
}
