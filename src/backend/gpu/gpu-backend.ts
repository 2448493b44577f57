/**
 * The gpu.js backend (float32). Every backend kernel has a gpu.js implementation beside its
 * reference one (src/ops/<family>/<op>.gpu.ts), so a float32 training step runs on gpu.js end to
 * end; float64 tensors take the CPU reference, with one warning per op (DYNOPOOL_GPU_QUIET=1
 * silences it), never silently per call.
 *
 * Placement: kernel results stay where the kernel wrote them (GpuStorage): on GL modes a
 * texture that the next kernel reads directly, with no readback in between. An op runs on
 * gpu.js when it is a heavy kernel (conv, pooling, batchnorm, DynOPool, matmul), when any input
 * already lives on the device, or when its input has at least SMALL values; otherwise (small
 * host-only values, such as DynOPool's learned sizes and the GMACs loss built from them) it runs
 * on the CPU reference, where a kernel launch would cost more than the arithmetic.
 *
 * What reads back from the device (a readPixels on GL modes): `data()`, `item()`, `toArray()`
 * and printing; any op given float64 alongside device float32 values; the two size gradients
 * of `dynoSampleBackward` (per-plane partial sums, 2 x N x C values, summed on the host); and a
 * device value that a host-placed op reads (e.g. the loss scalar added to the host GMACs term).
 * A device storage reads back at most once and caches the host copy.
 */
import { avgPool2dGpu, avgPool2dGradGpu, maxPool2dGpu, maxPool2dGradGpu } from '../../ops/pool/pool.gpu.js';
import { batchNormApplyGpu, batchNormBackwardGpu, batchNormStatsGpu } from '../../ops/batchnorm/batchnorm.gpu.js';
import { conv2dGpu, conv2dGradInputGpu, conv2dGradWeightGpu } from '../../ops/conv/conv2d.gpu.js';
import { dynoSampleBackwardGpu, dynoSampleGpu } from '../../ops/dynopool/dynosample.gpu.js';
import { binaryGpu, clampGpu, unaryGpu, whereGpu } from '../../ops/elementwise/elementwise.gpu.js';
import { matmulGpu } from '../../ops/matmul/matmul.gpu.js';
import { concatGpu, expandGpu, padGpu, permuteGpu, sliceGpu } from '../../ops/movement/movement.gpu.js';
import { reduceGpu } from '../../ops/reduce/reduce.gpu.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { sizeOf } from '../../tensor/shape.js';
import type { Backend, Storage } from '../backend.js';
import { HostStorage, referenceBackend as ref } from '../reference.js';
import { KernelCache, resolveMode, type GpuMode, type KernelData } from './runtime.js';
import { GpuStorage } from './storage.js';

/** Light ops on host-only inputs smaller than this run on the CPU reference (see Placement). */
export const SMALL = 4096;

type Args = KernelData[];

export class GpuBackend implements Backend {
  readonly name: string;
  readonly kernels: KernelCache;
  private readonly warned = new Set<string>();

  constructor(readonly mode: GpuMode, readonly warn: (message: string) => void = (m) => { if (!process.env.DYNOPOOL_GPU_QUIET) console.warn(m); }) {
    this.name = `gpu:${mode}`;
    this.kernels = new KernelCache(mode);
  }

  static create(mode: GpuMode | 'auto' = 'auto'): GpuBackend {
    return new GpuBackend(resolveMode(mode));
  }

  /** Ops that ran on the reference because gpu.js has no kernel for their dtype (float64). */
  get fallbacks(): string[] {
    return [...this.warned];
  }

  // ---- placement ------------------------------------------------------------------------------

  /** The storages' kernel arguments if every one is float32 gpu storage, else null (warned). */
  private args(op: string, storages: readonly Storage[]): Args | null {
    if (storages.every((s) => s instanceof GpuStorage)) return storages.map((s) => (s as GpuStorage).kernelArg());
    if (!this.warned.has(op)) {
      this.warned.add(op);
      this.warn(`dynopool gpu backend (${this.mode}): '${op}' runs on the CPU reference (float64 tensors have no gpu.js kernel); further calls are not reported`);
    }
    return null;
  }

  /**
   * Where an op runs: the kernel arguments when it runs on gpu.js, null for the host reference.
   * Heavy kernels always run on gpu.js; light ones when an input is on the device or large.
   * Empty results and float64 inputs (warned once per op) take the reference.
   */
  private place(op: string, storages: readonly Storage[], outSize: number, heavy: boolean): Args | null {
    if (outSize === 0) return null;
    if (!heavy && !storages.some((s) => (s instanceof GpuStorage && s.onDevice) || s.size >= SMALL)) return null;
    return this.args(op, storages);
  }

  /** A reference result as this backend's storage (float32 values become host GpuStorage). */
  private adopt = (s: Storage): Storage => (s instanceof HostStorage && s.values instanceof Float32Array ? new GpuStorage(s.size, s.values, false) : s);

  /** An op with one result of `outSize` values, placed by `place`. */
  private one(op: string, storages: readonly Storage[], outSize: number, heavy: boolean, gpu: (a: Args) => KernelData, reference: () => Storage): Storage {
    const a = this.place(op, storages, outSize, heavy);
    return a ? GpuStorage.fromKernel(outSize, gpu(a)) : this.adopt(reference());
  }

  private light(op: string, storages: readonly Storage[], outSize: number, gpu: (a: Args) => KernelData, reference: () => Storage): Storage {
    return this.one(op, storages, outSize, false, gpu, reference);
  }

  private heavy(op: string, storages: readonly Storage[], outSize: number, gpu: (a: Args) => KernelData, reference: () => Storage): Storage {
    return this.one(op, storages, outSize, true, gpu, reference);
  }

  // ---- the Backend interface -----------------------------------------------------------------

  fromValues = (values: TypedArray): Storage => (values instanceof Float32Array ? new GpuStorage(values.length, values, false) : new HostStorage(values));
  toValues = (x: Storage): TypedArray => x.hostValues().slice();

  unary: Backend['unary'] = (op, x) =>
    this.light('unary', [x], x.size, ([xv]) => unaryGpu(this.kernels, op, xv, x.size), () => ref.unary(op, x));
  clamp: Backend['clamp'] = (x, lo, hi) =>
    this.light('clamp', [x], x.size, ([xv]) => clampGpu(this.kernels, xv, x.size, lo, hi), () => ref.clamp(x, lo, hi));
  binary: Backend['binary'] = (op, a, as, b, bs, os) =>
    this.light('binary', [a, b], sizeOf(os), ([av, bv]) => binaryGpu(this.kernels, op, av, as, bv, bs, os), () => ref.binary(op, a, as, b, bs, os));
  /** float32 -> float32 is the same immutable storage; any other cast converts on the host. */
  cast: Backend['cast'] = (x, dtype) => (x.dtype === dtype ? x : this.adopt(ref.cast(x, dtype)));
  where: Backend['where'] = (c, a, b) =>
    this.light('where', [c, a, b], a.size, ([cv, av, bv]) => whereGpu(this.kernels, cv, av, bv, a.size), () => ref.where(c, a, b));
  reduce: Backend['reduce'] = (op, x, shape, axes) =>
    this.light('reduce', [x], x.size === 0 ? 0 : sizeOf(shape.filter((_, i) => !axes.includes(i))),
      ([xv]) => reduceGpu(this.kernels, op, xv, shape, axes), () => ref.reduce(op, x, shape, axes));
  permute: Backend['permute'] = (x, shape, perm) =>
    this.light('permute', [x], x.size, ([xv]) => permuteGpu(this.kernels, xv, shape, perm), () => ref.permute(x, shape, perm));
  expand: Backend['expand'] = (x, shape, outShape) =>
    this.light('expand', [x], sizeOf(outShape), ([xv]) => expandGpu(this.kernels, xv, shape, outShape), () => ref.expand(x, shape, outShape));
  slice: Backend['slice'] = (x, shape, begin, size) =>
    this.light('slice', [x], sizeOf(size), ([xv]) => sliceGpu(this.kernels, xv, shape, begin, size), () => ref.slice(x, shape, begin, size));
  pad: Backend['pad'] = (x, shape, pads, value) =>
    this.light('pad', [x], sizeOf(shape.map((d, i) => d + pads[i][0] + pads[i][1])),
      ([xv]) => padGpu(this.kernels, xv, shape, pads, value), () => ref.pad(x, shape, pads, value));
  concat: Backend['concat'] = (xs, shapes, axis) =>
    this.light('concat', xs, xs.reduce((s, x) => s + x.size, 0), (a) => concatGpu(this.kernels, a, shapes, axis), () => ref.concat(xs, shapes, axis));

  matmul: Backend['matmul'] = (a, b, B, M, K, N, ta, tb) =>
    this.heavy('matmul', [a, b], B * M * N, ([av, bv]) => matmulGpu(this.kernels, av, bv, B, M, K, N, ta, tb), () => ref.matmul(a, b, B, M, K, N, ta, tb));

  conv2d: Backend['conv2d'] = (x, w, g) =>
    this.heavy('conv2d', [x, w], g.N * g.OC * g.OH * g.OW, ([xv, wv]) => conv2dGpu(this.kernels, xv, wv, g), () => ref.conv2d(x, w, g));
  conv2dGradInput: Backend['conv2dGradInput'] = (dy, w, g) =>
    this.heavy('conv2dGradInput', [dy, w], g.N * g.C * g.H * g.W, ([d, wv]) => conv2dGradInputGpu(this.kernels, d, wv, g), () => ref.conv2dGradInput(dy, w, g));
  conv2dGradWeight: Backend['conv2dGradWeight'] = (x, dy, g) =>
    this.heavy('conv2dGradWeight', [x, dy], g.OC * (g.C / g.groups) * g.KH * g.KW, ([xv, d]) => conv2dGradWeightGpu(this.kernels, xv, d, g),
      () => ref.conv2dGradWeight(x, dy, g));

  maxPool2d: Backend['maxPool2d'] = (x, g) =>
    this.heavy('maxPool2d', [x], g.N * g.C * g.OH * g.OW, ([xv]) => maxPool2dGpu(this.kernels, xv, g), () => ref.maxPool2d(x, g));
  maxPool2dGrad: Backend['maxPool2dGrad'] = (x, dy, g) =>
    this.heavy('maxPool2dGrad', [x, dy], x.size, ([xv, d]) => maxPool2dGradGpu(this.kernels, xv, d, g), () => ref.maxPool2dGrad(x, dy, g));
  avgPool2d: Backend['avgPool2d'] = (x, g) =>
    this.heavy('avgPool2d', [x], g.N * g.C * g.OH * g.OW, ([xv]) => avgPool2dGpu(this.kernels, xv, g), () => ref.avgPool2d(x, g));
  avgPool2dGrad: Backend['avgPool2dGrad'] = (dy, g) =>
    this.heavy('avgPool2dGrad', [dy], g.N * g.C * g.H * g.W, ([d]) => avgPool2dGradGpu(this.kernels, d, g), () => ref.avgPool2dGrad(dy, g));

  batchNormStats: Backend['batchNormStats'] = (x, N, C, HW) => {
    const a = this.place('batchNormStats', [x], C, true);
    if (!a) {
      const r = ref.batchNormStats(x, N, C, HW);
      return { mean: this.adopt(r.mean), variance: this.adopt(r.variance) };
    }
    const r = batchNormStatsGpu(this.kernels, a[0], N, C, HW);
    return { mean: GpuStorage.fromKernel(C, r.mean), variance: GpuStorage.fromKernel(C, r.variance) };
  };
  batchNormApply: Backend['batchNormApply'] = (x, m, is, w, b, N, C, HW) =>
    this.heavy('batchNormApply', [x, m, is, w, b], x.size, ([xv, mv, iv, wv, bv]) => batchNormApplyGpu(this.kernels, xv, mv, iv, wv, bv, N, C, HW),
      () => ref.batchNormApply(x, m, is, w, b, N, C, HW));
  batchNormBackward: Backend['batchNormBackward'] = (x, dy, m, is, w, N, C, HW, training) => {
    const a = this.place('batchNormBackward', [x, dy, m, is, w], x.size, true);
    if (!a) {
      const r = ref.batchNormBackward(x, dy, m, is, w, N, C, HW, training);
      return { dx: this.adopt(r.dx), dweight: this.adopt(r.dweight), dbias: this.adopt(r.dbias) };
    }
    const r = batchNormBackwardGpu(this.kernels, a[0], a[1], a[2], a[3], a[4], N, C, HW, training);
    return { dx: GpuStorage.fromKernel(x.size, r.dx), dweight: GpuStorage.fromKernel(C, r.dweight), dbias: GpuStorage.fromKernel(C, r.dbias) };
  };

  dynoSample: Backend['dynoSample'] = (x, g) =>
    this.heavy('dynoSample', [x], g.N * g.C * g.OH * g.OW, ([xv]) => dynoSampleGpu(this.kernels, xv, g), () => ref.dynoSample(x, g));
  dynoSampleBackward: Backend['dynoSampleBackward'] = (x, dy, g) => {
    const a = this.place('dynoSampleBackward', [x, dy], x.size, true);
    if (!a) {
      const r = ref.dynoSampleBackward(x, dy, g);
      return { dx: this.adopt(r.dx), dh: r.dh, dw: r.dw };
    }
    const r = dynoSampleBackwardGpu(this.kernels, a[0], a[1], g);
    return { dx: GpuStorage.fromKernel(x.size, r.dx), dh: r.dh, dw: r.dw };
  };
}
