/** Which backend new tensors are created on. */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';

const backends = new Map<string, Backend>([[referenceBackend.name, referenceBackend]]);
let current: Backend = referenceBackend;

export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: unknown backend '${name}' (registered: ${[...backends.keys()].join(', ')})`);
  current = b;
}

export function getBackend(): Backend {
  return current;
}
