/**
 * Device memory scopes, as in TensorFlow.js: JavaScript cannot tell a backend when a tensor
 * dies, and a garbage collector that never runs during a synchronous training loop cannot
 * either, so device memory (gpu.js textures) is released by scope.
 *
 *   const loss = tidy(() => {            // every device buffer made inside ...
 *     const l = lossOf(model(x));
 *     l.backward();
 *     opt.step();                          // parameters and optimizer buffers are kept
 *     return l;                            // ... is released at the end, except what is returned
 *   });
 *
 * What survives a scope: the value it returns (tensors, or arrays / objects of tensors), tensors
 * passed to `keep`, and every value written with `Tensor.assign` (parameters, running statistics;
 * the value it replaces is un-kept and goes with the current scope) and optimizer buffers. A released tensor that was read back to the host stays readable; one that
 * lives only on the device throws a clear error when used. Nested scopes hand what they return to
 * the enclosing scope. On the reference backend (host memory only) a scope releases nothing.
 */

/** A storage with device memory that a scope can release. */
export interface Releasable {
  /** how many owners keep it (keep() calls not yet undone by unkeep()); no scope releases it while > 0 */
  keeps: number;
  release(): void;
}

const scopes: Releasable[][] = [];

/** Called by a storage that owns device memory when it is created. */
export function track(s: Releasable): void {
  scopes.at(-1)?.push(s);
}

/**
 * Marks a value (a tensor, or anything holding tensors) so that no scope releases it, until a
 * matching `unkeep`. Keeps are counted per storage, since owners may share one (a gradient that
 * is also the first momentum buffer).
 */
export function keep<T>(value: T): T {
  for (const s of new Set(storagesIn(value))) s.keeps++;
  return value;
}

/**
 * Ends a keep: the value is released with the current scope (if any). `Tensor.assign` does this
 * for the value it replaces, so a parameter's old storage goes with the step that replaced it.
 */
export function unkeep(value: unknown): void {
  for (const s of new Set(storagesIn(value))) {
    if (s.keeps === 0) continue;
    if (--s.keeps === 0) track(s);
  }
}

/** Runs `fn` and releases the device memory of every tensor it made that does not survive (see above). */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T | undefined;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy: the function must be synchronous (it returned a Promise)');
    ok = true;
    return result;
  } finally {
    const created = scopes.pop()!;
    const returned = new Set(ok ? storagesIn(result) : []);
    for (const s of created) {
      if (s.keeps > 0) continue;
      if (returned.has(s)) track(s);
      else s.release();
    }
  }
}

/**
 * How many `tidy` scopes are open. With `unwindScopes`, for code that can stop a computation
 * without running its `finally` blocks (src/train/interrupt.ts): note the depth before, unwind
 * to it after.
 */
export function scopeDepth(): number {
  return scopes.length;
}

/**
 * Closes the scopes above `depth` that an interrupted computation left open, innermost first,
 * as their `tidy` would have on an exception: what they made and nobody keeps is released, and
 * nothing counts as returned. Only for computations whose results are abandoned.
 */
export function unwindScopes(depth: number): void {
  if (!(Number.isInteger(depth) && depth >= 0))
    throw new Error(`unwindScopes: depth must be a non-negative integer, got ${depth}`);
  while (scopes.length > depth) {
    for (const s of scopes.pop()!) if (s.keeps === 0) s.release();
  }
}

/** The releasable storages of the tensors in `value` (a tensor, array or plain object of them). */
function storagesIn(value: unknown, seen = new Set<unknown>()): Releasable[] {
  if (!value || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const storage = (value as { storage?: unknown }).storage;
  if (storage && typeof storage === 'object' && 'release' in storage && 'keeps' in storage)
    return [storage as Releasable];
  if (Array.isArray(value)) return value.flatMap((v) => storagesIn(v, seen));
  if (Object.getPrototypeOf(value) === Object.prototype)
    return Object.values(value).flatMap((v) => storagesIn(v, seen));
  return [];
}
