/**
 * Shared pieces of the gpu.js suites: run a suite once per gpu.js mode (a missing mode fails
 * when DYNOPOOL_REQUIRE_GPU_MODES lists it, else it is reported skipped with the reason), put
 * float32 values on the device, and compare against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/backend/backend.js';
import { HostStorage } from '../../src/backend/host-storage.js';
import { legacy, type LegacyKernels } from './kernels.js';
import { GPU_MODES, GpuBackend, GpuStorage, modeUnavailableReason, type GpuMode } from '../../src/index.js';
import { parityMismatches } from '../../src/testing/index.js';
import { FLOAT32_PARITY, REQUIRED_GPU_MODES } from './config.js';

/** `body` runs inside a describe block for every gpu.js mode this machine offers. */
export function describeEachGpuMode(
  title: string,
  body: (gpu: GpuBackend & LegacyKernels, mode: GpuMode) => void,
): void {
  for (const mode of GPU_MODES) {
    const reason = modeUnavailableReason(mode);
    if (reason !== null && REQUIRED_GPU_MODES.includes(mode)) {
      describe(`${title}: gpu.js ${mode}`, () => {
        it('is available (DYNOPOOL_REQUIRE_GPU_MODES lists it)', () => {
          throw new Error(`gpu.js mode '${mode}' is required but not available here: ${reason}`);
        });
      });
      continue;
    }
    describe.skipIf(reason !== null)(`${title}: gpu.js ${mode}${reason ? ` (skipped: ${reason})` : ''}`, () => {
      body(
        reason === null ? legacy(new GpuBackend(mode, () => {})) : (null as unknown as GpuBackend & LegacyKernels),
        mode,
      );
    });
  }
}

/** float64 host storage for the reference. */
export const f64 = (v: ArrayLike<number>): Storage => new HostStorage(Float64Array.from(v));

/**
 * float32 values on the gpu backend's device: a host array marked as a kernel result, copied
 * once by a clamp(-inf, inf) kernel, so on GL modes the kernels under test read a texture.
 */
export function onDevice(gpu: GpuBackend, v: ArrayLike<number>): Storage {
  const host = new GpuStorage(v.length, Float32Array.from(v), true);
  return legacy(gpu).clamp(host, -Infinity, Infinity);
}

export const vals = (s: Storage): Float64Array => Float64Array.from(s.hostValues());
export const absOf = (v: ArrayLike<number>): Float64Array => Float64Array.from(v, Math.abs);

/** |v| with the non-finite values as 0: a tolerance magnitude for inputs that hold NaN / Inf. */
export const finiteAbs = (v: ArrayLike<number>): Float64Array =>
  Float64Array.from(v, (x) => (Number.isFinite(x) ? Math.abs(x) : 0));

/**
 * Throws a readable report unless gpu and reference agree everywhere (`parityMismatches` of
 * dynopool/testing): a NaN must face a NaN and an infinity the same infinity (exactly, whatever
 * the tolerance); finite values must satisfy |gpu - ref| <= atol + rtol * magnitude, with a
 * finite magnitude.
 */
export function expectParity(
  label: string,
  gpu: ArrayLike<number>,
  reference: ArrayLike<number>,
  magnitude: ArrayLike<number> | number,
): true {
  expect(gpu.length, `${label}: length`).toBe(reference.length);
  const bad = parityMismatches(gpu, reference, magnitude, FLOAT32_PARITY);
  if (bad.length)
    throw new Error(`${label}: ${bad.length} of ${reference.length} values differ: ${bad.slice(0, 4).join('; ')}`);
  return true;
}
