/**
 * Which backend new tensors are created on.
 *
 *   setBackend('reference')                      the float64/float32 CPU reference (default)
 *   setBackend('gpu', { mode: 'webasm' })        gpu.js: 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu' | 'auto'
 *
 * or from the environment at start-up: DYNOPOOL_BACKEND=gpu DYNOPOOL_GPU_MODE=auto.
 * Tensors keep the backend they were made on; an op whose inputs live on different backends
 * is an error, so choose the backend before building a model.
 *
 * Backends are registered by name with a factory (as in tfjs): src/backends registers
 * 'reference' and 'gpu' when dynopool loads; `registerBackend` adds another.
 */
import type { Backend } from './backend.js';
import { GPU_MODES, type GpuMode } from './gpu/runtime.js';

/** Options passed to a backend factory (the gpu.js backend reads `mode`). */
export interface BackendOptions {
  /** gpu only: the gpu.js mode (default 'auto') */
  mode?: GpuMode | 'auto';
}

/** Makes a backend from its options; registered under a name with `registerBackend`. */
export type BackendFactory = (opts: BackendOptions) => Backend;

const factories = new Map<string, BackendFactory>();
let current: Backend | null = null;

/** Makes `name` available to setBackend / backendFor (a later registration replaces it). */
export function registerBackend(name: string, factory: BackendFactory): void {
  factories.set(name, factory);
}

/** The registered backend names. */
export function registeredBackends(): string[] {
  return [...factories.keys()];
}

/** Creates (the factory may cache) and returns a backend without making it current. */
export function backendFor(name: string, opts: BackendOptions = {}): Backend {
  const factory = factories.get(name);
  if (!factory) {
    const known = registeredBackends();
    throw new Error(
      `setBackend: unknown backend '${name}' (${known.length ? `choose ${known.map((n) => `'${n}'`).join(' or ')}` : 'no backend is registered'})`,
    );
  }
  return factory(opts);
}

/** Makes the backend registered as `name` the current one (new tensors are created there) and returns it. */
export function setBackend(name: string, opts: BackendOptions = {}): Backend {
  current = backendFor(name, opts);
  return current;
}

/** The current backend; 'reference' until setBackend chooses another. */
export function getBackend(): Backend {
  if (current) return current;
  if (!factories.has('reference')) {
    throw new Error(
      "getBackend: no backend is registered; import 'dynopool' (src/index.ts) or src/backends/index.ts, which register 'reference' and 'gpu'",
    );
  }
  current = backendFor('reference');
  return current;
}

const GPU_MODE_CHOICES: readonly string[] = [...GPU_MODES, 'auto'];

/** Applies DYNOPOOL_BACKEND / DYNOPOOL_GPU_MODE (called once when dynopool loads). */
export function backendFromEnvironment(
  env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env,
): void {
  const name = env.DYNOPOOL_BACKEND;
  if (!name) return;
  const mode = env.DYNOPOOL_GPU_MODE ?? 'auto';
  if (!GPU_MODE_CHOICES.includes(mode)) {
    throw new Error(`DYNOPOOL_GPU_MODE=${mode} is not one of ${GPU_MODE_CHOICES.join(', ')}`);
  }
  /** Makes the backend registered as `name` the current one (new tensors are created there) and returns it. */
  setBackend(name, { mode: mode as BackendOptions['mode'] });
}
