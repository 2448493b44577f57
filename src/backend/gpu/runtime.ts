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
import { GPU, type IKernelRunShortcut, type Texture } from 'gpu.js';

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

/**
 * A kernel argument or result: a host array, or (on GL modes) a texture that stays on the
 * device and feeds later kernels without a readback.
 */
export type KernelData = Float32Array | Texture;

export const isTexture = (d: KernelData): d is Texture => !(d instanceof Float32Array);

/** Modes whose kernels write textures (device memory) rather than host arrays. */
export const isGlMode = (mode: GpuMode): boolean => mode === 'headlessgl';

/** Reads a kernel result back to a fresh host array (a readPixels on GL modes). */
export function readBack(d: KernelData, length: number): Float32Array {
  if (!isTexture(d)) return d;
  const out = d.toArray() as Float32Array;
  return out.length === length ? Float32Array.from(out) : Float32Array.from(out.subarray(0, length));
}

/** Frees an intermediate kernel result that no storage owns (a no-op for host arrays). */
export function release(d: KernelData): void {
  if (isTexture(d)) d.delete();
}

/**
 * Compiled kernels by configuration. On GL modes every kernel runs as an immutable pipeline
 * kernel: each call returns a new texture, which the caller owns (see GpuStorage, which deletes
 * it when the tensor holding it is garbage collected). On webasm / cpu each call returns a
 * fresh Float32Array.
 */
export class KernelCache {
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  constructor(readonly mode: GpuMode) {}

  get size(): number {
    return this.kernels.size;
  }

  /** Runs kernel `name` (compiling it on first use for these constants, argument sizes and output length). */
  run(name: string, fn: KernelFn, constants: Constants, outputLength: number, args: readonly KernelData[]): KernelData {
    // gpu.js fixes argument sizes at compile time, so they are part of the configuration
    const sizes = args.map((a) => (isTexture(a) ? (a as unknown as { output: number[] }).output.reduce((p, d) => p * d, 1) : a.length));
    const key = `${name}|${outputLength}|${sizes.join(',')}|${JSON.stringify(constants)}`;
    const gl = isGlMode(this.mode);
    let k = this.kernels.get(key);
    if (!k) {
      k = gpuFor(this.mode).createKernel(fn as never, {
        output: [outputLength], constants, precision: 'single', tactic: 'precision', loopMaxIterations: 1 << 20,
        pipeline: gl, immutable: gl,
      } as never);
      this.kernels.set(key, k);
    }
    const out = k(...(args as never[])) as unknown as KernelData;
    // the cpu mode reuses its output buffer between calls: copy before returning
    return isTexture(out) ? out : Float32Array.from(out);
  }

  /** Runs a kernel and reads its result back (for small results the host needs as numbers). */
  runToHost(name: string, fn: KernelFn, constants: Constants, outputLength: number, args: readonly KernelData[]): Float32Array {
    const out = this.run(name, fn, constants, outputLength, args);
    const host = readBack(out, outputLength);
    if (isTexture(out)) out.delete();
    return host;
  }

  clear(): void {
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
  }
}
