/**
 * gpu.js runtime: which modes this machine offers, one GPU instance per mode, and a cache of
 * compiled kernels keyed by (kernel, constants, output size), so a kernel is compiled once per
 * configuration and reused by every later call.
 *
 * Modes: 'headlessgl' (GLSL through the `gl` package in Node: a real GPU when there is one, Mesa's
 * llvmpipe on the CPU otherwise; needs a display, e.g. Xvfb), 'webgl2' and 'webgl' (GLSL in a
 * browser page or Worker), 'webasm' (WebAssembly with SIMD), 'cpu' (kernels transpiled to
 * JavaScript). 'auto' picks headlessgl on a hardware renderer, else webgl2 / webgl where a
 * browser offers them, else webasm (llvmpipe GLSL is slower than webasm on the CPU).
 *
 * What differs between Node and the browser (loading gpu.js, the `gl` package, settings) sits in
 * ./host.ts and its browser twin ./host.browser.ts.
 */
import type { GPU, IKernelRunShortcut, Texture } from 'gpu.js';
import type { Kernel, KernelImpl, KernelShapes } from '../kernel.js';
import { AUTO_FALLBACKS, glRenderer, headlessGlHint, loadGpuJs, PLATFORM_MODES } from './host.js';

/**
 * A gpu.js mode: GLSL on a GL context (`headlessgl` in Node, `webgl2` / `webgl` in a browser),
 * WebAssembly (`webasm`) or transpiled JavaScript (`cpu`).
 */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';
/** The gpu.js modes dynopool supports, fastest first on real GPU hardware. */
export const GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'];

const instances = new Map<GpuMode, GPU>();
const availability = new Map<GpuMode, string | null>();

/** null if `mode` works here, else the reason it does not. */
export function modeUnavailableReason(mode: GpuMode): string | null {
  if (!availability.has(mode)) {
    let reason: string | null = null;
    try {
      const { GPU } = loadGpuJs();
      if (mode === 'headlessgl' && !GPU.isHeadlessGLSupported) {
        reason = headlessGlHint();
      } else if (mode === 'webgl2' && !GPU.isWebGL2Supported) {
        reason = 'no WebGL2 here (webgl2 needs a browser page or Worker with a WebGL2 context)';
      } else if (mode === 'webgl' && !GPU.isWebGLSupported) {
        reason = 'no WebGL here (webgl needs a browser page or Worker with a WebGL context)';
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

/**
 * The gpu.js modes this platform can have, available or not: headlessgl, webasm and cpu in Node;
 * webgl2, webgl, webasm and cpu in a browser.
 */
export function platformModes(): GpuMode[] {
  return GPU_MODES.filter((m) => (PLATFORM_MODES as readonly string[]).includes(m));
}

/** The gpu.js modes that work here (headlessgl needs the `gl` package and a display; webgl2 a browser). */
export function availableModes(): GpuMode[] {
  return platformModes().filter((m) => modeUnavailableReason(m) === null);
}

export { glRenderer };

/** Whether a GL renderer string names a software rasteriser (Mesa llvmpipe / softpipe, SwiftShader). */
export function isSoftwareRenderer(renderer: string): boolean {
  return /llvmpipe|softpipe|swiftshader|software/i.test(renderer);
}

/**
 * 'auto': headlessgl on a hardware GL renderer; else, in Node, webasm; in a browser, webgl2, else
 * webgl; else cpu (see AUTO_FALLBACKS in ./host.ts and ./host.browser.ts).
 */

export function resolveMode(mode: GpuMode | 'auto'): GpuMode {
  if (mode !== 'auto') {
    const reason = modeUnavailableReason(mode);
    if (reason) throw new Error(`gpu backend: mode '${mode}' is not available here: ${reason}`);
    return mode;
  }
  const renderer = modeUnavailableReason('headlessgl') === null ? glRenderer() : null;
  if (renderer && !isSoftwareRenderer(renderer)) return 'headlessgl';
  return AUTO_FALLBACKS.find((m) => modeUnavailableReason(m) === null) ?? 'cpu';
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
export const isGlMode = (mode: GpuMode): boolean => mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl';

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
