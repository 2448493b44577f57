/**
 * Ctrl-C that works during a long synchronous computation (issue #13 item 3).
 *
 * Why this is needed. A training step is one synchronous call: forward, backward and update run
 * to the end without ever returning to the event loop. A JavaScript signal handler
 * (`process.on('SIGINT', ...)`) is only an event: it runs when the event loop is free, that is
 * after the step. On a big model, or with feature maps grown out of bounds, one step can take
 * minutes, and for all that time Ctrl-C does nothing at all: the run looks hung.
 *
 * How. Node's `vm` module can run a script with `breakOnSigint: true`. While that script runs,
 * Node takes SIGINT away from the JavaScript handlers and gives it to a native watchdog, which
 * asks V8 to terminate the running JavaScript at once (V8 checks for this at every function call
 * and loop iteration, so a busy loop stops within milliseconds). `runInThisContext` then throws
 * an Error with `code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED'`, and the process carries on
 * normally; the JavaScript SIGINT handlers are back as soon as the script has ended (the
 * interrupting SIGINT is not passed on to them). The script is one line that calls the function
 * we want to run, so the function itself runs in the ordinary context, with its closures.
 *
 *     try {
 *       const sizes = runInterruptibly(() => search(space));   // minutes of synchronous work
 *     } catch (e) {
 *       if (e instanceof Interrupted) ...                      // Ctrl-C: here at once
 *     }
 *
 * (For training, do not wrap a whole `trainStep`: pass it `{ interruptible: true }`, below.)
 *
 * The caveat: termination is not an exception. No `catch` and no `finally` block inside the
 * interrupted code runs. Whatever those blocks would have restored stays as the interrupt left
 * it: a `tidy` scope is left open, `noGrad` leaves graph recording switched off, a model put in
 * eval mode stays there, and an optimizer update may have assigned only some parameters. This
 * helper restores the two module-level switches itself (the stack of `tidy` scopes, unwound and
 * released as an exception would have; the grad-mode flag); everything else belongs to the caller,
 * who knows what the computation changes. `trainStep` (src/train/step.ts) runs only its forward
 * and backward pass this way, never the optimizer update, which would leave some parameters
 * updated and others not; after an interrupt it puts back the batchnorm statistics the forward
 * pass had replaced, so the model is exactly as before the step and the trainer can save it.
 *
 * Limits. Only SIGINT (Ctrl-C, or `kill -INT`): Node's watchdog knows no other signal, so SIGTERM
 * and SIGHUP still wait for the end of the step. Only synchronous code: `fn` must not return a
 * Promise. A long native call (one big typed-array copy) finishes before JavaScript stops. And
 * only the main thread of a process that can receive signals; calls are not meant to be nested.
 *
 * The browser build uses the twin interrupt.browser.ts (a page has no SIGINT: `fn` just runs).
 */
import vm from 'node:vm';
import { setGradEnabled, isGradEnabled } from '../autograd/grad-mode.js';
import { scopeDepth, unwindScopes } from '../backend/memory.js';

import { Interrupted } from './interrupted.js';

export { Interrupted };

/** The global the one-line script calls; set just before each run. */
const SLOT = '__dynopoolInterruptible';
const script = new vm.Script(`globalThis.${SLOT}()`, { filename: 'dynopool-interruptible.js' });

/**
 * Runs `fn` synchronously and returns its result, except that Ctrl-C (SIGINT) stops it at once:
 * then the open `tidy` scopes it left are unwound, the grad mode is put back, and `Interrupted`
 * is thrown. Errors thrown by `fn` pass through unchanged. See the file comment for what is not
 * restored (everything a `finally` inside `fn` would have done).
 */
export function runInterruptibly<T>(fn: () => T): T {
  const depth = scopeDepth();
  const grad = isGradEnabled();
  const slots = globalThis as unknown as Record<string, unknown>;
  const outer = slots[SLOT];
  slots[SLOT] = fn;
  try {
    const result = script.runInThisContext({ breakOnSigint: true }) as T;
    if (result instanceof Promise)
      throw new Error('runInterruptibly: the function must be synchronous (it returned a Promise)');
    return result;
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw e;
    unwindScopes(depth);
    setGradEnabled(grad);
    throw new Interrupted();
  } finally {
    slots[SLOT] = outer;
  }
}
