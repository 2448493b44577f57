/**
 * The reverse-mode engine. A tensor made by a differentiable op carries a `Node`: the op's
 * name, its inputs, and a function from the output's cotangent to one cotangent per input.
 * `backward` sorts the graph topologically (iteratively, so deep graphs cannot overflow the
 * call stack), then walks it from the output, summing cotangents where a tensor is used more
 * than once, and finally adds them into `.grad` of the leaves.
 *
 * Cotangents are summed with `Tensor.add`, a method form installed by the ops layer
 * (src/ops/methods.ts); a graph only exists when ops made it, so it is always there by then.
 */
import { onesLike } from '../tensor/creation.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { Tensor, type Node } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

export type { Node };

/** Inputs-before-outputs order of every tensor that `root` depends on and that requires grad. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const p of t.node?.inputs ?? []) if (p.requiresGrad && !visited.has(p)) stack.push([p, false]);
  }
  return order;
}

export function runBackward(root: Tensor, seed: Tensor): void {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        t.grad = t.grad ? t.grad.add(g) : g;
        continue;
      }
      const inputGrads = t.node.backward(g);
      if (inputGrads.length !== t.node.inputs.length) {
        throw new Error(
          `${t.node.op}: backward returned ${inputGrads.length} cotangent(s) for ${t.node.inputs.length} inputs (one per input, null for none)`,
        );
      }
      t.node.inputs.forEach((input, k) => {
        const gk = inputGrads[k];
        if (!input.requiresGrad || !gk) return;
        if (!sameShape(gk.shape, input.shape)) {
          throw new Error(
            `${t.node!.op}: internal error: gradient for input ${k} has shape ${fmt(gk.shape)}, expected ${fmt(input.shape)}`,
          );
        }
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(gk) : gk);
      });
    }
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /**
     * Reverse-mode differentiation from this tensor. `grad` (the cotangent) may be left out only
     * for a one-element tensor, where it defaults to 1.
     */
    backward(grad?: Tensor): void;
  }
}

Tensor.prototype.backward = function backward(this: Tensor, grad?: Tensor): void {
  if (!this.requiresGrad) {
    throw new Error(
      'backward: tensor does not require grad (no input of the computation had requiresGrad: true, or it ran under noGrad)',
    );
  }
  let seed = grad;
  if (!seed) {
    if (this.size !== 1) {
      throw new Error(
        `backward: tensor of shape ${fmt(this.shape)} is not a scalar; pass the cotangent explicitly, e.g. y.backward(onesLike(y))`,
      );
    }
    seed = onesLike(this);
  } else if (!sameShape(seed.shape, this.shape) || seed.dtype !== this.dtype) {
    throw new Error(
      `backward: gradient is ${seed.dtype} ${fmt(seed.shape)}, expected ${this.dtype} ${fmt(this.shape)}`,
    );
  }
  runBackward(this, seed.detach());
};
