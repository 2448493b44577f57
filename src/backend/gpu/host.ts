/**
 * What the gpu.js runtime needs from its platform, Node's version. The browser build swaps this
 * file for its twin `host.browser.ts` (scripts/build-browser.js: a file `x.ts` with a sibling
 * `x.browser.ts` is replaced by it in the browser bundle), so the runtime itself imports nothing
 * from Node.
 *
 * Node: gpu.js loads on first use through `require` (a program on the reference backend never
 * loads it, nor the native `gl` package behind it), `glRenderer` asks the `gl` package, and
 * settings come from environment variables.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let gpuJs: typeof import('gpu.js') | null = null;

/** The gpu.js modes a program on this platform can have: Node has headless GL, not WebGL. */
export const PLATFORM_MODES = ['headlessgl', 'webasm', 'cpu'] as const;

/** What 'auto' takes when headlessgl is not on a hardware renderer: the first available of these, else cpu. */
export const AUTO_FALLBACKS = ['webasm'] as const;

/** gpu.js itself, loaded on first use. */
export function loadGpuJs(): typeof import('gpu.js') {
  return (gpuJs ??= require('gpu.js') as typeof import('gpu.js'));
}

/** An environment setting (`DISPLAY`, `DYNOPOOL_GPU_QUIET`, ...); undefined when unset. */
export function setting(name: string): string | undefined {
  return process.env[name];
}

/** Why headlessgl cannot run here, given that the `gl` package made no context. */
export function headlessGlHint(): string {
  return process.env.DISPLAY
    ? 'the gl package cannot create a context'
    : 'no display: headlessgl needs DISPLAY (start Xvfb)';
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
