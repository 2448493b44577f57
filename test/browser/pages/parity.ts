/**
 * A module Worker for test/browser/parity.test.ts: dynopool's gradient properties (`checkOps` of
 * dynopool/testing) on gpu.js's webgl2 mode (WebGL2 on an OffscreenCanvas; SwiftShader in
 * headless chromium), the same properties, seed and run counts as in Node.
 *
 * Messages in, one at a time (parity.html queues them):
 *   { kind: 'info' }                                   -> { backend, modes, kernel, renderer, ... }
 *   { kind: 'check', ops, backends, runs, seed }       -> { cells, seconds }
 * Any error is answered with { error }.
 */
import { availableModes, getBackend, platformModes, setBackend } from '../../../src/browser.js';
import { gpuFor, modeUnavailableReason, type GpuMode } from '../../../src/backend/gpu/runtime.js';
import { checkOps, OP_CHECKS } from '../../../src/testing/index.js';
import { WebGL2Kernel } from 'gpu.js';

/** The part of a dedicated Worker's global scope used here (the project's lib has no DOM types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: Request }) => void): void;
}

/** The part of OffscreenCanvas / WebGL2RenderingContext used to name the renderer. */
interface Canvas {
  getContext(type: 'webgl2'): {
    VERSION: number;
    getParameter(p: number): unknown;
    getExtension(name: 'WEBGL_debug_renderer_info'): { UNMASKED_RENDERER_WEBGL: number } | null;
    getExtension(name: 'WEBGL_lose_context'): { loseContext(): void } | null;
  } | null;
}

export type Request =
  { kind: 'info' } | { kind: 'check'; ops: string[]; backends: string[]; runs: number; seed: number };

const scope = globalThis as unknown as WorkerScope;

/** What the Worker's webgl2 really is: the backend that `setBackend` made and gpu.js's kernel class. */
function info() {
  const OffscreenCanvas = (globalThis as unknown as { OffscreenCanvas?: new (w: number, h: number) => Canvas })
    .OffscreenCanvas;
  const gl = OffscreenCanvas ? new OffscreenCanvas(1, 1).getContext('webgl2') : null;
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer =
    gl && ext
      ? `${String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL))}; ${String(gl.getParameter(gl.VERSION))}`
      : null;
  // a Worker holds few live WebGL contexts (Chromium loses the oldest beyond them): free this one
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  const [previous, previousMode] = getBackend().name.split(':');
  const backend = setBackend('gpu', { mode: 'webgl2' }).name;
  setBackend(previous, previousMode ? { mode: previousMode as GpuMode } : {});
  return {
    backend,
    platformModes: platformModes(),
    modes: availableModes(),
    webgl2Unavailable: modeUnavailableReason('webgl2'),
    // gpu.js's instance for 'webgl2' compiles with WebGL2Kernel (not a CPU fallback)
    kernel: gpuFor('webgl2').Kernel === WebGL2Kernel ? 'WebGL2Kernel' : String(gpuFor('webgl2').Kernel?.name),
    renderer,
  };
}

function check(r: Extract<Request, { kind: 'check' }>) {
  const ops = OP_CHECKS.filter((o) => r.ops.includes(o.name));
  const missing = r.ops.filter((name) => !ops.some((o) => o.name === name));
  if (missing.length) throw new Error(`no such op in OP_CHECKS: ${missing.join(', ')}`);
  const m = checkOps(ops, {
    backends: r.backends,
    runs: r.runs,
    seed: r.seed,
    onCell: (c) => console.log(`parity: ${c.op} on ${c.backend}: ${c.status} (${c.runs} runs)`),
  });
  return { cells: m.cells, seconds: m.seconds, backends: m.backends.map((b) => b.name) };
}

scope.addEventListener('message', ({ data }) => {
  try {
    scope.postMessage(data.kind === 'info' ? info() : check(data));
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
