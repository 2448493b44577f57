/**
 * gpu.js runtime: which modes this machine offers, one GPU instance per mode, and a cache of
 * compiled kernels keyed by (kernel, constants, output size), so a kernel is compiled once per
 * configuration and reused by every later call.
 *
 * Modes: 'headlessgl' (GLSL through the `gl` package: a real GPU when there is one, Mesa's
 * llvmpipe on the CPU otherwise; needs a display, e.g. Xvfb), 'webasm' (WebAssembly with SIMD),
 * 'cpu' (kernels transpiled to JavaScript). 'auto' picks headlessgl on a hardware renderer and
 * webasm otherwise (llvmpipe GLSL is slower than webasm on the CPU).
 */
import { createRequire } from 'node:module';
import { GPU, type IKernelRunShortcut } from 'gpu.js';

export type GpuMode = 'headlessgl' | 'webasm' | 'cpu';
export const GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webasm', 'cpu'];

const instances = new Map<GpuMode, GPU>();
const availability = new Map<GpuMode, string | null>();

/** null if `mode` works here, else the reason it does not. */
export function modeUnavailableReason(mode: GpuMode): string | null {
  if (!availability.has(mode)) {
    let reason: string | null = null;
    try {
      if (mode === 'headlessgl' && !GPU.isHeadlessGLSupported) {
        reason = process.env.DISPLAY ? 'the gl package cannot create a context' : 'no display: headlessgl needs DISPLAY (start Xvfb)';
      } else {
        const k = gpuFor(mode).createKernel(function (this: { thread: { x: number } }, a: Float32Array) { return a[this.thread.x] * 2; }, { output: [2] });
        const out = k(Float32Array.of(1, 2)) as Float32Array;
        if (out[1] !== 4) reason = `a test kernel returned ${Array.from(out)}`;
        k.destroy();
      }
    } catch (e) {
      reason = (e as Error).message.split('\n')[0];
    }
    availability.set(mode, reason);
  }
  return availability.get(mode)!;
}

export function availableModes(): GpuMode[] {
  return GPU_MODES.filter((m) => modeUnavailableReason(m) === null);
}

/** The OpenGL renderer string behind headlessgl ('llvmpipe ...' for Mesa's software renderer). */
export function glRenderer(): string | null {
  try {
    const require = createRequire(import.meta.url);
    interface MiniGl { RENDERER: number; getParameter(p: number): unknown; getExtension(name: string): unknown }
    const createGl = require('gl') as (w: number, h: number) => MiniGl | null;
    const gl = createGl(1, 1);
    if (!gl) return null;
    const r = String(gl.getParameter(gl.RENDERER));
    (gl.getExtension('STACKGL_destroy_context') as { destroy(): void } | null)?.destroy();
    return r;
  } catch {
    return null;
  }
}

/** 'auto': headlessgl on a hardware GL renderer, else webasm, else cpu. */
export function resolveMode(mode: GpuMode | 'auto'): GpuMode {
  if (mode !== 'auto') {
    const reason = modeUnavailableReason(mode);
    if (reason) throw new Error(`gpu backend: mode '${mode}' is not available here: ${reason}`);
    return mode;
  }
  const renderer = modeUnavailableReason('headlessgl') === null ? glRenderer() : null;
  if (renderer && !/llvmpipe|softpipe|swiftshader|software/i.test(renderer)) return 'headlessgl';
  return modeUnavailableReason('webasm') === null ? 'webasm' : 'cpu';
}

export function gpuFor(mode: GpuMode): GPU {
  let g = instances.get(mode);
  if (!g) instances.set(mode, (g = new GPU({ mode })));
  return g;
}

export type Constants = Record<string, number>;
type KernelFn = (this: never, ...args: never[]) => number;

/** Compiled kernels by configuration. */
export class KernelCache {
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  constructor(readonly mode: GpuMode) {}

  get size(): number {
    return this.kernels.size;
  }

  /** Runs kernel `name` (compiling it on first use for these constants and output length). */
  run(name: string, fn: KernelFn, constants: Constants, outputLength: number, args: readonly Float32Array[]): Float32Array {
    const key = `${name}|${outputLength}|${JSON.stringify(constants)}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = gpuFor(this.mode).createKernel(fn as never, {
        output: [outputLength], constants, precision: 'single', tactic: 'precision', loopMaxIterations: 1 << 20,
      } as never);
      this.kernels.set(key, k);
    }
    const out = k(...(args as never[])) as unknown as Float32Array;
    // the GL and cpu modes reuse their output buffer between calls: copy before returning
    return Float32Array.from(out);
  }

  clear(): void {
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
  }
}
