/**
 * The reverse-mode engine. A tensor made by a differentiable op carries a `Node`: the op's
 * name, its inputs, and a function from the output's cotangent to one cotangent per input.
 * `backward` sorts the graph topologically (iteratively, so deep graphs cannot overflow the
 * call stack), then walks it from the output, summing cotangents where a tensor is used more
 * than once, and finally adds them into `.grad` of the leaves.
 */
import { fmt, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /**
   * Cotangent of each input, in the order of `inputs` (null where an input needs none or the
   * gradient is zero). Runs under noGrad. The engine checks that there is exactly one entry per
   * input and throws, naming the op, when there is not.
   */
  backward(dy: Tensor): readonly (Tensor | null)[];
}

/** Inputs-before-outputs order of every tensor that `root` depends on and that requires grad. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) { order.push(t); continue; }
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
        throw new Error(`${t.node.op}: backward returned ${inputGrads.length} cotangent(s) for ${t.node.inputs.length} inputs (one per input, null for none)`);
      }
      t.node.inputs.forEach((input, k) => {
        const gk = inputGrads[k];
        if (!input.requiresGrad || !gk) return;
        if (!sameShape(gk.shape, input.shape)) {
          throw new Error(`${t.node!.op}: internal error: gradient for input ${k} has shape ${fmt(gk.shape)}, expected ${fmt(input.shape)}`);
        }
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(gk) : gk);
      });
    }
  });
}
