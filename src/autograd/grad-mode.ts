/** Global switch for graph recording (PyTorch's `torch.no_grad`). */
let enabled = true;

/** Whether ops record the graph now (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Sets the switch directly (PyTorch's `torch.set_grad_enabled`). Prefer `noGrad`, which restores
 * it; this is for code that must restore it after an interrupted `noGrad` whose `finally` never
 * ran (src/train/interrupt.ts).
 */
export function setGradEnabled(on: boolean): void {
  enabled = on;
}

/** Runs `fn` without recording any op in the autograd graph. */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
