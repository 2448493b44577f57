/**
 * Which backend new tensors are created on.
 *
 *   setBackend('reference')                      the float64/float32 CPU reference (default)
 *   setBackend('gpu', { mode: 'webasm' })        gpu.js; mode 'headlessgl' | 'webasm' | 'cpu' | 'auto'
 *
 * or from the environment at start-up: DYNOPOOL_BACKEND=gpu DYNOPOOL_GPU_MODE=auto.
 * Tensors keep the backend they were made on; an op whose inputs live on different backends
 * is an error, so choose the backend before building a model.
 */
import type { Backend } from './backend.js';
import { GpuBackend } from './gpu/gpu-backend.js';
import type { GpuMode } from './gpu/runtime.js';
import { referenceBackend } from './reference.js';

export interface BackendOptions {
  /** gpu only: the gpu.js mode (default 'auto') */
  mode?: GpuMode | 'auto';
}

const gpuBackends = new Map<GpuMode, GpuBackend>();
let current: Backend = referenceBackend;

/** Creates (once per mode) and returns a backend without making it current. */
export function backendFor(name: string, opts: BackendOptions = {}): Backend {
  if (name === 'reference') return referenceBackend;
  if (name === 'gpu') {
    const mode = opts.mode ?? 'auto';
    const probe = GpuBackend.create(mode);
    const existing = gpuBackends.get(probe.mode);
    if (existing) return existing;
    gpuBackends.set(probe.mode, probe);
    return probe;
  }
  throw new Error(`setBackend: unknown backend '${name}' (choose 'reference' or 'gpu')`);
}

export function setBackend(name: string, opts: BackendOptions = {}): Backend {
  current = backendFor(name, opts);
  return current;
}

export function getBackend(): Backend {
  return current;
}

const GPU_MODE_CHOICES = ['headlessgl', 'webasm', 'cpu', 'auto'];

/** Applies DYNOPOOL_BACKEND / DYNOPOOL_GPU_MODE (called once when dynopool loads). */
export function backendFromEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const name = env.DYNOPOOL_BACKEND;
  if (!name) return;
  const mode = env.DYNOPOOL_GPU_MODE ?? 'auto';
  if (!GPU_MODE_CHOICES.includes(mode)) {
    throw new Error(`DYNOPOOL_GPU_MODE=${mode} is not one of ${GPU_MODE_CHOICES.join(', ')}`);
  }
  setBackend(name, { mode: mode as GpuMode | 'auto' });
}
