/**
 * The gpu.js backend (float32). The heavy kernels run as gpu.js kernels: conv2d forward and
 * both gradients, batchnorm statistics / apply / backward, and DynOPool's sampling forward and
 * both gradients. Everything else runs on the CPU reference kernels over the same host arrays,
 * with one warning per op the first time it does (set DYNOPOOL_GPU_QUIET=1 to silence), never
 * silently per call. float64 tensors always take the reference path (gpu.js is float32).
 *
 * Data stays in host typed arrays between ops: every gpu.js kernel call uploads its inputs and
 * reads its output back (on GL modes that is a texture upload and a readPixels per kernel).
 * Keeping textures resident across ops (gpu.js pipelines) is future work.
 */
import { batchNormApplyGpu, batchNormBackwardGpu, batchNormStatsGpu } from '../../ops/batchnorm/batchnorm.gpu.js';
import { conv2dGpu, conv2dGradInputGpu, conv2dGradWeightGpu } from '../../ops/conv/conv2d.gpu.js';
import { dynoSampleBackwardGpu, dynoSampleGpu } from '../../ops/dynopool/dynosample.gpu.js';
import type { Backend, Storage } from '../backend.js';
import { HostStorage, referenceBackend } from '../reference.js';
import { KernelCache, resolveMode, type GpuMode } from './runtime.js';

const f32 = (s: Storage): Float32Array | null => (s instanceof HostStorage && s.values instanceof Float32Array ? s.values : null);
const wrap = (v: Float32Array): HostStorage => new HostStorage(v);

/** Backend methods with a gpu.js kernel; the others fall back to the reference. */
export const GPU_KERNEL_OPS = [
  'conv2d', 'conv2dGradInput', 'conv2dGradWeight', 'batchNormStats', 'batchNormApply', 'batchNormBackward',
  'dynoSample', 'dynoSampleBackward',
] as const;

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

  /** Ops that ran on the reference because gpu.js has no kernel for them (or their dtype). */
  get fallbacks(): string[] {
    return [...this.warned];
  }

  private fallback(op: string, why: string): Backend {
    if (!this.warned.has(op)) {
      this.warned.add(op);
      this.warn(`dynopool gpu backend (${this.mode}): '${op}' runs on the CPU reference (${why}); further calls are not reported`);
    }
    return referenceBackend;
  }

  private ref(op: string): Backend {
    return this.fallback(op, 'no gpu.js kernel for it yet');
  }

  fromValues = referenceBackend.fromValues;
  toValues = referenceBackend.toValues;
  unary: Backend['unary'] = (...a) => this.ref('unary').unary(...a);
  clamp: Backend['clamp'] = (...a) => this.ref('clamp').clamp(...a);
  binary: Backend['binary'] = (...a) => this.ref('binary').binary(...a);
  cast: Backend['cast'] = (...a) => this.ref('cast').cast(...a);
  where: Backend['where'] = (...a) => this.ref('where').where(...a);
  reduce: Backend['reduce'] = (...a) => this.ref('reduce').reduce(...a);
  permute: Backend['permute'] = (...a) => this.ref('permute').permute(...a);
  expand: Backend['expand'] = (...a) => this.ref('expand').expand(...a);
  slice: Backend['slice'] = (...a) => this.ref('slice').slice(...a);
  pad: Backend['pad'] = (...a) => this.ref('pad').pad(...a);
  concat: Backend['concat'] = (...a) => this.ref('concat').concat(...a);
  matmul: Backend['matmul'] = (...a) => this.ref('matmul').matmul(...a);
  maxPool2d: Backend['maxPool2d'] = (...a) => this.ref('maxPool2d').maxPool2d(...a);
  maxPool2dGrad: Backend['maxPool2dGrad'] = (...a) => this.ref('maxPool2dGrad').maxPool2dGrad(...a);
  avgPool2d: Backend['avgPool2d'] = (...a) => this.ref('avgPool2d').avgPool2d(...a);
  avgPool2dGrad: Backend['avgPool2dGrad'] = (...a) => this.ref('avgPool2dGrad').avgPool2dGrad(...a);

  /** Runs `gpu` when every storage is float32, else the reference (float64 has no gpu.js kernel). */
  private either<T>(op: string, storages: Storage[], gpu: (arrays: Float32Array[]) => T, reference: () => T): T {
    const arrays = storages.map(f32);
    if (arrays.every((a): a is Float32Array => a !== null)) return gpu(arrays);
    this.fallback(op, 'float64 tensors have no gpu.js kernel');
    return reference();
  }

  conv2d: Backend['conv2d'] = (x, w, g) =>
    this.either('conv2d', [x, w], ([xv, wv]) => wrap(conv2dGpu(this.kernels, xv, wv, g)), () => referenceBackend.conv2d(x, w, g));
  conv2dGradInput: Backend['conv2dGradInput'] = (dy, w, g) =>
    this.either('conv2dGradInput', [dy, w], ([d, wv]) => wrap(conv2dGradInputGpu(this.kernels, d, wv, g)), () => referenceBackend.conv2dGradInput(dy, w, g));
  conv2dGradWeight: Backend['conv2dGradWeight'] = (x, dy, g) =>
    this.either('conv2dGradWeight', [x, dy], ([xv, d]) => wrap(conv2dGradWeightGpu(this.kernels, xv, d, g)), () => referenceBackend.conv2dGradWeight(x, dy, g));

  batchNormStats: Backend['batchNormStats'] = (x, N, C, HW) =>
    this.either('batchNormStats', [x], ([xv]) => {
      const r = batchNormStatsGpu(this.kernels, xv, N, C, HW);
      return { mean: wrap(r.mean), variance: wrap(r.variance) };
    }, () => referenceBackend.batchNormStats(x, N, C, HW));
  batchNormApply: Backend['batchNormApply'] = (x, m, is, w, b, N, C, HW) =>
    this.either('batchNormApply', [x, m, is, w, b], ([xv, mv, iv, wv, bv]) => wrap(batchNormApplyGpu(this.kernels, xv, mv, iv, wv, bv, N, C, HW)),
      () => referenceBackend.batchNormApply(x, m, is, w, b, N, C, HW));
  batchNormBackward: Backend['batchNormBackward'] = (x, dy, m, is, w, N, C, HW, training) =>
    this.either('batchNormBackward', [x, dy, m, is, w], ([xv, d, mv, iv, wv]) => {
      const r = batchNormBackwardGpu(this.kernels, xv, d, mv, iv, wv, N, C, HW, training);
      return { dx: wrap(r.dx), dweight: wrap(r.dweight), dbias: wrap(r.dbias) };
    }, () => referenceBackend.batchNormBackward(x, dy, m, is, w, N, C, HW, training));

  dynoSample: Backend['dynoSample'] = (x, g) =>
    this.either('dynoSample', [x], ([xv]) => wrap(dynoSampleGpu(this.kernels, xv, g)), () => referenceBackend.dynoSample(x, g));
  dynoSampleBackward: Backend['dynoSampleBackward'] = (x, dy, g) =>
    this.either('dynoSampleBackward', [x, dy], ([xv, d]) => {
      const r = dynoSampleBackwardGpu(this.kernels, xv, d, g);
      return { dx: wrap(r.dx), dh: r.dh, dw: r.dw };
    }, () => referenceBackend.dynoSampleBackward(x, dy, g));
}
