/**
 * Global setup: compiles the wasm backend's kernels (npm run build:wasm) when
 * src/backends/wasm/kernels.wasm is missing or older than wasm/kernels.ts, so a fresh checkout's
 * `npm test` works without a build first (a few seconds).
 */
import { execFileSync } from 'node:child_process';

export function setup(): void {
  execFileSync(process.execPath, ['scripts/build-wasm.js', '--if-missing'], { stdio: 'inherit' });
}
