/**
 * The browser's twin of interrupt.ts (swapped in by scripts/build-browser.js): a page has no
 * Ctrl-C signal to break a running step, so `fn` simply runs. The lab pauses and stops between
 * batches instead (TrainHooks.between / shouldStop).
 */
import { Interrupted } from './interrupted.js';

export { Interrupted };

/** Runs `fn` and returns its result (nothing interrupts it in a browser). */
export function runInterruptibly<T>(fn: () => T): T {
  return fn();
}
