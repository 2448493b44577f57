/**
 * Shared pieces of the gpu.js suites: run a suite once per gpu.js mode (a missing mode fails
 * when DYNOPOOL_REQUIRE_GPU_MODES lists it, else it is reported skipped with the reason), put
 * float32 values on the device, and compare against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/backend/backend.js';
import { HostStorage } from '../../src/backend/host-storage.js';
import { finiteAbs, legacy, onDevice, type LegacyKernels } from './kernels.js';

export { finiteAbs, onDevice };
import { platformModes, GpuBackend, modeUnavailableReason, type GpuMode } from '../../src/index.js';
import { referenceBackend } from '../../src/backends/reference.js';
import type { ConvGeometry } from '../../src/ops/kernels.js';
import { parityMismatches, valuesFor, withNonFinite } from '../../src/testing/index.js';
import { FLOAT32_PARITY, REQUIRED_GPU_MODES } from './config.js';

/** `body` runs inside a describe block for every gpu.js mode this machine offers. */
export function describeEachGpuMode(
  title: string,
  body: (gpu: GpuBackend & LegacyKernels, mode: GpuMode) => void,
): void {
  for (const mode of platformModes()) {
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

export const vals = (s: Storage): Float64Array => Float64Array.from(s.hostValues());
export const absOf = (v: ArrayLike<number>): Float64Array => Float64Array.from(v, Math.abs);

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

/**
 * conv2d forward, input gradient and weight gradient of `kernels` (any backend's legacy view)
 * against the float64 reference, with NaN / +-Inf mixed sparsely into every operand (one reaches
 * many outputs). `put` places float32 values where the backend under test reads them.
 */
export function expectConvParity(
  kernels: LegacyKernels,
  put: (v: ArrayLike<number>) => Storage,
  g: ConvGeometry & { seed: number },
): true {
  const ref = legacy(referenceBackend);
  const nf = (v: Float64Array, seed: number) => withNonFinite(v, seed, { rate: 0.04 });
  const x = nf(valuesFor([g.N, g.C, g.H, g.W], g.seed), g.seed),
    w = nf(valuesFor([g.OC, g.C / g.groups, g.KH, g.KW], g.seed + 1), g.seed + 1);
  const dy = nf(valuesFor([g.N, g.OC, g.OH, g.OW], g.seed + 2), g.seed + 2);
  const [ax, aw, ady] = [finiteAbs(x), finiteAbs(w), finiteAbs(dy)];
  expectParity(
    'conv2d',
    vals(kernels.conv2d(put(x), put(w), g)),
    vals(ref.conv2d(f64(x), f64(w), g)),
    vals(ref.conv2d(f64(ax), f64(aw), g)),
  );
  expectParity(
    'conv2dGradInput',
    vals(kernels.conv2dGradInput(put(dy), put(w), g)),
    vals(ref.conv2dGradInput(f64(dy), f64(w), g)),
    vals(ref.conv2dGradInput(f64(ady), f64(aw), g)),
  );
  return expectParity(
    'conv2dGradWeight',
    vals(kernels.conv2dGradWeight(put(x), put(dy), g)),
    vals(ref.conv2dGradWeight(f64(x), f64(dy), g)),
    vals(ref.conv2dGradWeight(f64(ax), f64(ady), g)),
  );
}
