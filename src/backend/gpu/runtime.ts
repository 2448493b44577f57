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
import type { GPU, IKernelRunShortcut, Texture } from 'gpu.js';
import type { Kernel, KernelImpl, KernelShapes } from '../kernel.js';

const require = createRequire(import.meta.url);
let gpuJs: typeof import('gpu.js') | null = null;

/**
 * gpu.js itself, loaded on first use (not when dynopool loads: a program on the reference
 * backend never loads it, nor the native `gl` package behind it).
 */
function loadGpuJs(): typeof import('gpu.js') {
  return (gpuJs ??= require('gpu.js') as typeof import('gpu.js'));
}

/** A gpu.js mode: GLSL on a GL context (`headlessgl`), WebAssembly (`webasm`) or transpiled JavaScript (`cpu`). */
export type GpuMode = 'headlessgl' | 'webasm' | 'cpu';
/** The gpu.js modes dynopool supports, fastest first on real GPU hardware. */
export const GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webasm', 'cpu'];

const instances = new Map<GpuMode, GPU>();
const availability = new Map<GpuMode, string | null>();

/** null if `mode` works here, else the reason it does not. */
export function modeUnavailableReason(mode: GpuMode): string | null {
  if (!availability.has(mode)) {
    let reason: string | null = null;
    try {
      if (mode === 'headlessgl' && !loadGpuJs().GPU.isHeadlessGLSupported) {
        reason = process.env.DISPLAY
          ? 'the gl package cannot create a context'
          : 'no display: headlessgl needs DISPLAY (start Xvfb)';
      } else {
        const k = gpuFor(mode).createKernel(
          function (this: { thread: { x: number } }, a: Float32Array) {
            return a[this.thread.x] * 2;
          },
          { output: [2] },
        );
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

/** The gpu.js modes that work on this machine (headlessgl needs the `gl` package and a display). */
export function availableModes(): GpuMode[] {
  return GPU_MODES.filter((m) => modeUnavailableReason(m) === null);
}

/** The OpenGL renderer string behind headlessgl ('llvmpipe ...' for Mesa's software renderer). */
export function glRenderer(): string | null {
  try {
    interface MiniGl {
      RENDERER: number;
      getParameter(p: number): unknown;
      getExtension(name: string): unknown;
    }
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
  if (!g) instances.set(mode, (g = new (loadGpuJs().GPU)({ mode })));
  return g;
}

export type Constants = Record<string, number>;

/**
 * What `this` is inside a gpu.js kernel function, as dynopool's kernels use it: a 1-D thread
 * index and the numeric constants the kernel was compiled with. Kernel functions declare
 * `function f(this: GpuThis, ...)` so that TypeScript checks their bodies.
 */
export interface GpuThis {
  thread: { x: number };
  constants: Constants;
}
type KernelFn = (this: never, ...args: never[]) => number;

/**
 * A kernel argument or result: a host array, or (on GL modes) a texture that stays on the
 * device and feeds later kernels without a readback.
 */
export type KernelData = Float32Array | Texture;

export const isTexture = (d: KernelData): d is Texture => !(d instanceof Float32Array);

/**
 * A kernel output that is a host value by nature, not a device result (e.g. the size gradients
 * of dynoSampleBackward, summed on the host): its storage is not marked as living on the device.
 */
export class HostResult {
  constructor(readonly values: Float32Array) {}
}

/** What a gpu.js implementation returns for one output. */
export type GpuOutput = KernelData | HostResult;

/** Modes whose kernels write textures (device memory) rather than host arrays. */
export const isGlMode = (mode: GpuMode): boolean => mode === 'headlessgl';

/** Reads a kernel result back to a fresh host array (a readPixels on GL modes). */
export function readBack(d: KernelData, length: number): Float32Array {
  if (!isTexture(d)) return d;
  const out = d.toArray() as Float32Array;
  return out.length === length ? Float32Array.from(out) : Float32Array.from(out.subarray(0, length));
}

interface Entry {
  kernel: IKernelRunShortcut;
  lastUsed: number;
}

/** GLSL computes indices in float32, exact up to 2^24. */
export const MAX_GL_VALUES = 2 ** 24;

/** Frees an intermediate kernel result that no storage owns (a no-op for host arrays). */
export function release(d: KernelData): void {
  if (isTexture(d)) d.delete();
}

/**
 * Compiled kernels by configuration. On GL modes every kernel runs as an immutable pipeline
 * kernel: each call returns a new texture, which the caller owns (see GpuStorage and tidy). On
 * webasm / cpu each call returns a fresh Float32Array.
 *
 * A configuration includes every size, so when DynOPool's learned sizes move, the layers after it
 * compile new kernels and the old ones fall idle. On webasm / cpu, kernels not run in the last
 * `idleRuns` calls, and beyond `maxKernels` the least recently used, are destroyed. On GL modes
 * they are kept: destroying a gpu.js GL kernel deletes every GL texture in its cache, and after
 * GL reuses texture names that can include live textures of other kernels (observed: a DynOPool
 * result read back as zeros). So a headlessgl run whose sizes keep moving grows by about 2 MB
 * per configuration it compiles (measured on llvmpipe).
 */
export class KernelCache {
  private readonly kernels = new Map<string, Entry>();
  private calls = 0;
  constructor(
    readonly mode: GpuMode,
    readonly idleRuns = 4096,
    readonly maxKernels = 512,
  ) {}

  get size(): number {
    return this.kernels.size;
  }

  /** Runs kernel `name` (compiling it on first use for these constants, argument sizes and output length). */
  run(name: string, fn: KernelFn, constants: Constants, outputLength: number, args: readonly KernelData[]): KernelData {
    // gpu.js fixes argument sizes at compile time, so they are part of the configuration
    const sizes = args.map((a) =>
      isTexture(a) ? (a as unknown as { output: number[] }).output.reduce((p, d) => p * d, 1) : a.length,
    );
    const key = `${name}|${outputLength}|${sizes.join(',')}|${JSON.stringify(constants)}`;
    const gl = isGlMode(this.mode);
    const largest = Math.max(outputLength, ...sizes);
    if (gl && largest > MAX_GL_VALUES) {
      throw new Error(
        `gpu backend (${this.mode}): ${name} needs a tensor of ${largest} values, more than the ${MAX_GL_VALUES} that GLSL float indices address exactly; use the webasm mode or the reference backend`,
      );
    }
    let e = this.kernels.get(key);
    if (!e) {
      const kernel = gpuFor(this.mode).createKernel(
        fn as never,
        {
          output: [outputLength],
          constants,
          precision: 'single',
          tactic: 'precision',
          loopMaxIterations: 1 << 20,
          pipeline: gl,
          immutable: gl,
        } as never,
      );
      this.kernels.set(key, (e = { kernel, lastUsed: 0 }));
    }
    e.lastUsed = ++this.calls;
    const out = e.kernel(...(args as never[])) as unknown as KernelData;
    if (!gl && (this.calls % 1024 === 0 || this.kernels.size > this.maxKernels)) this.evictIdle();
    // the cpu mode reuses its output buffer between calls: copy before returning
    return isTexture(out) ? out : Float32Array.from(out);
  }

  /** Runs a kernel and reads its result back (for small results the host needs as numbers). */
  runToHost(
    name: string,
    fn: KernelFn,
    constants: Constants,
    outputLength: number,
    args: readonly KernelData[],
  ): Float32Array {
    const out = this.run(name, fn, constants, outputLength, args);
    const host = readBack(out, outputLength);
    release(out);
    return host;
  }

  /**
   * Destroys kernels idle for `idleRuns` calls, then, while more than `maxKernels` remain, the
   * least recently used ones (never the one that just ran). webasm / cpu only (see above).
   */
  evictIdle(): void {
    const byAge = [...this.kernels]
      .filter(([, e]) => e.lastUsed < this.calls)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let excess = this.kernels.size - this.maxKernels;
    for (const [key, e] of byAge) {
      if (!(this.calls - e.lastUsed > this.idleRuns || excess > 0)) break;
      e.kernel.destroy();
      this.kernels.delete(key);
      excess--;
    }
  }

  clear(): void {
    for (const e of this.kernels.values()) e.kernel.destroy();
    this.kernels.clear();
  }
}

/**
 * A gpu.js implementation: the kernel cache, the inputs as kernel arguments (textures or host
 * arrays), the attributes and shapes; one output per declared output.
 */
export type GpuKernelFn<A> = (
  cache: KernelCache,
  inputs: readonly KernelData[],
  attrs: A,
  shapes: KernelShapes,
) => GpuOutput | readonly GpuOutput[];

export type GpuKernelImpl = KernelImpl<GpuKernelFn<never>>;

/** A row of a gpu.js implementation table, type-checked against the declaration's attributes. */
export function gpuImpl<A>(k: Kernel<A>, fn: GpuKernelFn<A>): GpuKernelImpl {
  return { kernel: k as unknown as Kernel<never>, fn: fn as GpuKernelFn<never> };
}
