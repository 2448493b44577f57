/**
 * The browser's twin of host.ts (swapped in by scripts/build-browser.js): gpu.js is bundled
 * (its package's `browser` build, which brings the webgl2, webgl, webasm and cpu modes), there
 * is no headless GL and no environment; a page or Worker passes settings in code.
 */
import * as gpuJsModule from 'gpu.js';

/** The gpu.js modes a program on this platform can have: a browser has WebGL, not headless GL. */
export const PLATFORM_MODES = ['webgl2', 'webgl', 'webasm', 'cpu'] as const;

/**
 * What 'auto' takes in a browser: the first available of these, else cpu. Not webasm: gpu.js
 * gives every compiled webasm kernel its own WebAssembly.Memory, Chromium reserves a large
 * address range for each, and after about a hundred kernels (fewer than one training step)
 * `new WebAssembly.Memory()` fails with "could not allocate memory".
 */
export const AUTO_FALLBACKS = ['webgl2', 'webgl'] as const;

/** gpu.js itself (bundled). */
export function loadGpuJs(): typeof import('gpu.js') {
  return gpuJsModule;
}

/** No environment in a browser: every setting is unset. */
export function setting(_name: string): string | undefined {
  return undefined;
}

/** headlessgl is Node's (the `gl` package); a page has webgl2 / webgl instead. */
export function headlessGlHint(): string {
  return 'headlessgl runs in Node only; in a browser use webgl2 or webgl';
}

/** No headless GL context in a browser. */
export function glRenderer(): string | null {
  return null;
}
