/**
 * Builds dynopool's native CPU kernels (wasm/kernels.ts, AssemblyScript with SIMD and shared
 * memory) into src/backends/wasm/kernels.wasm, where the wasm backend loads it from, next to
 * its module (src/backends/wasm/runtime.ts).
 *
 *   node scripts/build-wasm.js                  compile (npm run build:wasm)
 *   node scripts/build-wasm.js --if-missing     compile only when the .wasm is absent or older
 *                                                than its source (the test suite's global setup)
 *   node scripts/build-wasm.js --copy-to DIR    also copy the .wasm into DIR (npm run build: dist)
 */
/* global process, console */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'wasm', 'kernels.ts');
const output = join(root, 'src', 'backends', 'wasm', 'kernels.wasm');

const args = process.argv.slice(2);
const copyTo = args.includes('--copy-to') ? args[args.indexOf('--copy-to') + 1] : null;
const fresh = existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs;

if (!(args.includes('--if-missing') && fresh)) {
  const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
  execFileSync(
    process.execPath,
    [
      asc,
      source,
      '--outFile',
      output,
      '-O3',
      '--noAssert',
      '--runtime',
      'stub',
      '--enable',
      'simd,threads',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory',
      '32',
      '--maximumMemory',
      '65536',
    ],
    { stdio: 'inherit', cwd: root },
  );
  console.log(`build-wasm: ${output} (${statSync(output).size} bytes)`);
}
if (copyTo) {
  mkdirSync(resolve(root, copyTo), { recursive: true });
  copyFileSync(output, join(resolve(root, copyTo), 'kernels.wasm'));
}
