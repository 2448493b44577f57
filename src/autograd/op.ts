/**
 * How an op is declared (the tfjs "kernel + gradient config" pattern, typed).
 *
 * An op names its inputs, computes its output in `forward` (through backend kernels, never
 * recorded in the graph), returns what its backward needs as `saved`, and gives ONE gradient
 * function per input. `grads` is a mapped type over the input names, so an op that forgets
 * the gradient of an input does not compile:
 *
 *     const square = defineOp({
 *       name: 'square',
 *       inputs: ['x'],
 *       forward: ({ x }) => ({ output: x.mul(x), saved: null }),
 *       grads: { x: (dy, { inputs }) => dy.mul(inputs.x).mul(2) },
 *     });
 *     square({ x }, {});
 *
 * A gradient function may return `null` for a gradient that is identically zero (an input
 * the output does not depend on, say): the engine then adds nothing for that input. The input
 * names must be literals (`inputs: ['x', 'y']`): a list typed `string[]` would make `grads` a
 * dictionary that `{}` satisfies, so `defineOp` refuses it at compile time.
 *
 * An op with no gradient at all (comparisons) is declared with `defineNonDifferentiable`,
 * and its output never requires grad. That is the only way to opt out.
 */
import { type Tensor } from '../tensor/tensor.js';
import type { Node } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from './grad-mode.js';

export type Inputs<N extends string> = { readonly [K in N]: Tensor };

/**
 * What a gradient function receives besides `dy`: the op's inputs, its output, what `forward`
 * saved and its attributes.
 */
export interface GradContext<N extends string, A, S> {
  readonly inputs: Inputs<N>;
  readonly output: Tensor;
  readonly saved: S;
  readonly attrs: A;
}

/**
 * The cotangent of one input, given the output's cotangent `dy`, or `null` when it is zero
 * (the engine then adds no contribution). Runs under noGrad.
 */
export type GradFn<N extends string, A, S> = (dy: Tensor, ctx: GradContext<N, A, S>) => Tensor | null;

interface OpSpecBase<N extends string, A, S> {
  readonly name: string;
  readonly inputs: readonly N[];
  /** Computes the output from the inputs (not recorded) and what the backward needs (`saved`). */
  forward(inputs: Inputs<N>, attrs: A): { output: Tensor; saved: S };
}

/** One gradient function per input (the usual form). */
export interface OpSpec<N extends string, A, S> extends OpSpecBase<N, A, S> {
  readonly grads: { readonly [K in N]: GradFn<N, A, S> };
}

/**
 * For ops whose backward kernel yields every input's gradient in one call (batchnorm,
 * DynOPool's sampling): `backward` returns them all, keyed by input name (again a mapped type,
 * so none can be left out). It runs once per backward pass.
 */
export interface JointOpSpec<N extends string, A, S> extends OpSpecBase<N, A, S> {
  /** Every input's cotangent from the output's `dy`, keyed by input name (`null` for none). */
  backward(dy: Tensor, ctx: GradContext<N, A, S>): { readonly [K in N]: Tensor | null };
}

/**
 * `unknown` when N is a union of literal input names; when N has widened to `string` (names
 * typed `string[]`), a type no spec satisfies, whose message says why: the mapped `grads`
 * would otherwise be a dictionary that `{}` satisfies, an op without a backward.
 */
export type LiteralNames<N extends string> = string extends N
  ? { readonly inputs: "defineOp: input names must be literals (inputs: ['x', 'y']), not string[]" }
  : unknown;

/** An op made by `defineOp`: a function of its named inputs and its attributes. */
export type Op<N extends string, A> = (inputs: Inputs<N>, attrs: A) => Tensor;

/**
 * Attaches `backward` to `output` as the node of op `op` over `inputs`, if grad mode is on and
 * an input requires grad; returns `output`. `defineOp` is built on this; ops with a variable
 * number of inputs (concat) call it directly. `backward` must return exactly one entry per
 * input (null for none): the engine checks the count when it runs and throws, naming `op`.
 */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, backward: Node['backward']): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return output;
  return output.withNode({ op, inputs, backward, versions: inputs.map((t) => t.version) });
}

/**
 * Makes a differentiable op from its spec: `forward` plus either one gradient function per input
 * (`grads`) or one joint `backward`; a missing gradient is a compile error (see the file comment).
 */
export function defineOp<const N extends string, A = Record<string, never>, S = null>(
  spec: (OpSpec<N, A, S> | JointOpSpec<N, A, S>) & LiteralNames<N>,
): Op<N, A> {
  return (inputs, attrs) => {
    const { output, saved } = noGrad(() => spec.forward(inputs, attrs));
    const list = spec.inputs.map((name) => inputs[name]);
    return record(spec.name, list, output, (dy) => {
      const ctx: GradContext<N, A, S> = { inputs, output, saved, attrs };
      if ('backward' in spec) {
        const all = spec.backward(dy, ctx);
        return spec.inputs.map((name) => (inputs[name].requiresGrad ? all[name] : null));
      }
      return spec.inputs.map((name) => (inputs[name].requiresGrad ? spec.grads[name](dy, ctx) : null));
    });
  };
}

export interface NonDifferentiableSpec<N extends string, A> {
  readonly name: string;
  readonly inputs: readonly N[];
  /** Computes the output from the inputs (not recorded) and what the backward needs (`saved`). */
  forward(inputs: Inputs<N>, attrs: A): Tensor;
}

/** An op whose output is constant for autograd (e.g. comparisons): it never requires grad. */
export function defineNonDifferentiable<const N extends string, A = Record<string, never>>(
  spec: NonDifferentiableSpec<N, A>,
): Op<N, A> {
  return (inputs, attrs) => noGrad(() => spec.forward(inputs, attrs));
}

/**
 * JAX's `custom_vjp` for plain tensor functions: `f` computes the forward from its inputs
 * (anything, not recorded), `vjp` maps (dy, inputs, output) to one cotangent per input.
 *
 *     const clippedIdentity = customVjp(
 *       (x) => x,
 *       (dy) => [dy.clamp(-1, 1)],
 *     );
 */
export function customVjp<Args extends Tensor[]>(
  f: (...inputs: Args) => Tensor,
  vjp: (dy: Tensor, inputs: Args, output: Tensor) => readonly (Tensor | null)[],
  name = 'customVjp',
): (...inputs: Args) => Tensor {
  return (...inputs: Args) => {
    const output = noGrad(() => f(...inputs).detach());
    return record(name, inputs, output, (dy) => {
      const gs = vjp(dy, inputs, output);
      if (gs.length !== inputs.length) {
        throw new Error(`${name}: vjp returned ${gs.length} cotangents for ${inputs.length} inputs`);
      }
      return gs;
    });
  };
}
