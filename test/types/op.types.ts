/**
 * Compile-time tests of `defineOp`'s promise: an op whose backward is missing does not
 * compile. This file is never run; `npm run typecheck` (tsc over test/) checks it, and each
 * `@ts-expect-error` line fails the check ("Unused '@ts-expect-error' directive") if the
 * error it expects ever disappears, i.e. if a type hole comes back.
 */
import { defineOp, type Tensor } from '../../src/index.js';

const forward = ({ a }: { readonly a: Tensor }) => ({ output: a, saved: null });

// the well-typed forms compile: one gradient per input, a null (zero) gradient, a joint backward
defineOp({ name: 'ok', inputs: ['a'], forward, grads: { a: (dy) => dy } });
defineOp({ name: 'okZero', inputs: ['a', 'b'], forward, grads: { a: (dy) => dy, b: () => null } });
defineOp({ name: 'okJoint', inputs: ['a', 'b'], forward, backward: (dy) => ({ a: dy, b: null }) });

// a gradient missing for an input
// @ts-expect-error: grads lacks 'b'
defineOp({ name: 'missing', inputs: ['a', 'b'], forward, grads: { a: (dy) => dy } });

// a joint backward that leaves an input out
// @ts-expect-error: backward's result lacks 'b'
defineOp({ name: 'missingJoint', inputs: ['a', 'b'], forward, backward: (dy) => ({ a: dy }) });

// no backward at all
// @ts-expect-error: neither grads nor backward
defineOp({ name: 'none', inputs: ['a'], forward });

// widened input names: grads would be a dictionary that {} satisfies
const names: string[] = ['a'];
// @ts-expect-error: input names must be literals
defineOp({ name: 'widened', inputs: names as string[], forward, grads: {} });
// @ts-expect-error: even with a gradient given, widened names are refused
defineOp({ name: 'widenedFull', inputs: names, forward, grads: { a: (dy: Tensor) => dy } });

// a gradient that returns something other than a tensor or null
// @ts-expect-error: a number is not a cotangent
defineOp({ name: 'notTensor', inputs: ['a'], forward, grads: { a: () => 0 } });
