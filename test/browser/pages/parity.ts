/**
 * A module Worker for test/browser/parity.test.ts: dynopool's gradient properties (`checkOps` of
 * dynopool/testing) on gpu.js's webgl2 mode (WebGL2 on an OffscreenCanvas; SwiftShader in
 * headless chromium), the same properties, seed and run counts as in Node.
 *
 * Messages in, one at a time (parity.html queues them):
 *   { kind: 'info' }                                   -> { backend, modes, kernel, renderer, ... }
 *   { kind: 'check', ops, backends, runs, seed }       -> { cells, seconds }
 *   { kind: 'sgd', modes, runs, seed }                 -> { results: [{ mode, runs, failure }] }
 *     (the fused SGD update kernel, which has no gradient to check: fast-check problems on each
 *     mode's device against the float64 reference, within FLOAT32_PARITY)
 * Any error is answered with { error }.
 */
import { availableModes, getBackend, platformModes, setBackend } from '../../../src/browser.js';
import { gpuFor, modeUnavailableReason, type GpuMode } from '../../../src/backend/gpu/runtime.js';
import fc from 'fast-check';
import { referenceBackend } from '../../../src/backends/reference.js';
import { HostStorage } from '../../../src/backend/host-storage.js';
import { checkOps, FLOAT32_PARITY, OP_CHECKS, parityMismatches } from '../../../src/testing/index.js';
import { arbSgdCase, legacy, onDevice, sgdMagnitudes, sgdOperands } from '../../support/kernels.js';
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
  | { kind: 'info' }
  | { kind: 'check'; ops: string[]; backends: string[]; runs: number; seed: number }
  | { kind: 'sgd'; modes: GpuMode[]; runs: number; seed: number };

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

/** The fused SGD update on each mode's device against the float64 reference (fast-check, replayable). */
function sgd(r: Extract<Request, { kind: 'sgd' }>) {
  const ref = legacy(referenceBackend);
  const f64 = (v: ArrayLike<number>) => new HostStorage(Float64Array.from(v));
  const vals = (s: { hostValues(): ArrayLike<number> }) => Array.from(s.hostValues());
  const results = r.modes.map((mode) => {
    const gpu = setBackend('gpu', { mode });
    const kernels = legacy(gpu);
    const run = fc.check(
      fc.property(arbSgdCase(), (c) => {
        const operands = sgdOperands(c);
        const { p, grad, buf } = operands;
        const put = (v: Float64Array) => onDevice(gpu, v);
        const got = kernels.sgdUpdate(put(p), put(grad), buf && put(buf), c.attrs);
        const want = ref.sgdUpdate(f64(p), f64(grad), buf && f64(buf), c.attrs);
        const mag = sgdMagnitudes(c, operands);
        if (got.length !== want.length) throw new Error(`${got.length} outputs, expected ${want.length}`);
        got.forEach((s, i) => {
          const bad = parityMismatches(vals(s), vals(want[i]), mag[i], FLOAT32_PARITY);
          if (bad.length)
            throw new Error(`${i ? "buf'" : "p'"}: ${bad.length} values differ: ${bad.slice(0, 3).join('; ')}`);
        });
        return true;
      }),
      { seed: r.seed, numRuns: r.runs },
    );
    const failure = run.failed ? (fc.defaultReportMessage(run) ?? 'failed') : null;
    return { mode, backend: gpu.name, runs: run.numRuns, failure };
  });
  setBackend('reference');
  return { results };
}

scope.addEventListener('message', ({ data }) => {
  try {
    scope.postMessage(data.kind === 'info' ? info() : data.kind === 'sgd' ? sgd(data) : check(data));
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
