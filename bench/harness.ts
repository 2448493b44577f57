/**
 * What the benchmarks share (bench/run.ts, bench/train-step.ts, bench/pool-ratio.ts): choosing a
 * dynopool engine, a benny suite that records one row per case, engine cases built on their own
 * backend, the 3x3 convolution cases (forward, input gradient, weight gradient) for dynopool and
 * tfjs, a seeded CIFAR batch, and issue #11's DynOPool / 2x2 max pool pair.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import b from 'benny';
import type { Summary } from 'benny/lib/internal/common-types.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import {
  Generator,
  availableModes,
  conv2d,
  conv2dGradInputKernel,
  conv2dGradWeightKernel,
  convGeometry,
  dynoPool2d,
  maxPool2d,
  randn,
  runKernel1,
  setBackend,
  tensor,
  GPU_MODES,
  type GpuMode,
} from '../src/index.js';
import { filterGrad, inputGrad, tf, useTf, type TfBackend } from './tfjs.js';

process.env.DYNOPOOL_GPU_QUIET = '1';

export const outDir = new URL('./results/', import.meta.url).pathname;

/** The load average now (1 / 5 / 15 min), two decimals. */
export const loadNow = (): number[] => loadavg().map((l) => +l.toFixed(2));

/**
 * What a results file records about its run: the date, Node, the CPUs, the load average at the
 * start (`loadavgEnd`: the writer sets it with loadNow()) and the command with the settings
 * from the environment that `keep` selects.
 */
export function runMeta(script: string, keep: (name: string) => boolean) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    loadavgStart: loadNow(),
    loadavgEnd: [] as number[],
    command: [
      ...Object.entries(process.env)
        .filter(([k]) => keep(k))
        .map(([k, v]) => `${k}=${v}`),
      `npm run ${script}`,
    ].join(' '),
  };
}

/** The machine sentence of a results file (runMeta's fields, after loadavgEnd is set). */
export const machineLine = (m: ReturnType<typeof runMeta>): string =>
  `Machine: ${m.cpus}, Node ${m.node}, shared: load average ${m.loadavgStart.join(' / ')} at the start, ` +
  `${m.loadavgEnd.join(' / ')} at the end (1 / 5 / 15 min).`;
mkdirSync(outDir, { recursive: true });

/** XNNPACK's f32 3x3 convolution peak on this 2-core machine (tfjs-wasm, N = 32, bench/results/summary.md). */
export const XNNPACK_PEAK_GFLOPS = 29;

/**
 * Selects a dynopool engine: 'reference', a gpu.js mode ('headlessgl', 'webasm', 'cpu'), or any
 * other registered backend by name (the native WebAssembly backend registers as 'wasm').
 * Throws when the engine is not available here.
 */
export function useOurs(engine: string): void {
  if ((GPU_MODES as readonly string[]).includes(engine)) setBackend('gpu', { mode: engine as GpuMode });
  else setBackend(engine);
}

/** null when `useOurs(engine)` works here, else why not (the backend is left on 'reference'). */
export function oursUnavailable(engine: string): string | null {
  if ((GPU_MODES as readonly string[]).includes(engine) && !availableModes().includes(engine as GpuMode)) {
    return `gpu.js mode '${engine}' is not available here`;
  }
  try {
    useOurs(engine);
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  } finally {
    setBackend('reference');
  }
}

export interface Row {
  suite: string;
  engine: string;
  /** median ms per call */
  ms: number;
  /** ms per call of each sample */
  samplesMs: number[];
  gflops?: number;
}

export type Case = [engine: string, fn: () => unknown];

export interface SuiteOptions {
  /** floating-point operations of one call (for GFLOP/s) */
  flops?: number;
  minSamples?: number;
  /** seconds benny spends per case beyond the minimum samples */
  maxTime?: number;
  /** benny's per-suite JSON file in outDir (default: none) */
  save?: boolean;
}

/** Runs one benny suite and appends a row per case to `rows`; returns benny's summary. */
export async function runSuite(name: string, cases: Case[], rows: Row[], opts: SuiteOptions = {}): Promise<Summary> {
  const { flops, minSamples = 2, maxTime = 2 } = opts;
  return await b.suite(
    name,
    ...cases.map(([engine, fn]) => b.add(engine, fn, { minSamples, maxTime, delay: 0 })),
    b.cycle(),
    b.complete((summary) => {
      for (const r of summary.results) {
        const ms = r.details.median * 1000;
        rows.push({
          suite: name,
          engine: r.name,
          ms,
          samplesMs: r.details.sampleResults.map((s) => s * 1000),
          gflops: flops ? flops / (ms / 1000) / 1e9 : undefined,
        });
      }
    }),
    ...(opts.save
      ? [b.save({ file: name.replace(/[^\w.-]+/g, '_'), folder: outDir, format: 'json', details: false })]
      : []),
  );
}

/**
 * A case for `engine` if it is in `engines`: `build` runs with the engine selected (tfjs's
 * backend for 'tfjs-cpu' / 'tfjs-wasm', dynopool's otherwise) and returns the function to time,
 * or null to skip. Each case selects its engine again when it runs (cases run after all are built).
 */
export async function caseFor(
  engine: string,
  engines: readonly string[],
  build: (tfb: TfBackend | null) => Promise<(() => unknown) | null> | (() => unknown) | null,
): Promise<Case | null> {
  if (!engines.includes(engine)) return null;
  if (engine.startsWith('tfjs-')) {
    const tfb = engine.slice(5) as TfBackend;
    await useTf(tfb);
    const fn = await build(tfb);
    return fn
      ? [
          engine,
          async () => {
            if (tf.getBackend() !== tfb) await useTf(tfb);
            return fn();
          },
        ]
      : null;
  }
  useOurs(engine);
  const fn = await build(null);
  // and dynopool back to this case's engine (ops that make tensors, such as a train step's, use the current one)
  return fn
    ? [
        engine,
        () => {
          useOurs(engine);
          return fn();
        },
      ]
    : null;
}

/** [in channels, out channels, height = width] of the CIFAR VGG convolutions */
export type ConvShape = readonly [ci: number, co: number, hw: number];

export const CONV_SHAPES: readonly ConvShape[] = [
  [3, 64, 32],
  [64, 64, 32],
  [128, 128, 16],
  [256, 256, 8],
];

/** fwd: y; dx: the input gradient; dW: the weight gradient; fwd+bwd: all three. */
export type ConvPart = 'fwd' | 'dx' | 'dW' | 'fwd+bwd';

/** Multiply-adds x 2 of one 3x3 'same' convolution at this shape and batch (each part costs as much). */
export const convFlops = ([ci, co, hw]: ConvShape, n: number): number => 2 * n * co * hw * hw * ci * 9;

/**
 * The function that times `part` of a 3x3, padding 1 convolution at `shape` and batch `n` on
 * the selected engine (tfb: the tfjs backend, null: dynopool's current one). tfjs's gradients
 * are the XNNPACK convolutions of bench/tfjs.ts; dynopool's dx / dW run its gradient kernels.
 */
export function convCase(part: ConvPart, [ci, co, hw]: ConvShape, n: number, tfb: TfBackend | null, g: Generator) {
  if (tfb) {
    const x = tf.randomNormal([n, hw, hw, ci]) as Tensor4D;
    const w = tf.randomNormal([3, 3, ci, co]) as Tensor4D;
    const dy = tf.randomNormal([n, hw, hw, co]) as Tensor4D;
    return async () => {
      const outs = tf.tidy(() => {
        if (part === 'dx') return [inputGrad(dy, w)];
        if (part === 'dW') return [filterGrad(x, dy, 3)];
        const y = tf.conv2d(x, w, 1, 'same');
        return part === 'fwd' ? [y] : [y, inputGrad(dy, w), filterGrad(x, dy, 3)];
      });
      for (const o of outs) {
        await o.data();
        o.dispose();
      }
    };
  }
  const x = randn([n, ci, hw, hw], { generator: g }),
    w = randn([co, ci, 3, 3], { generator: g });
  const dy = randn([n, co, hw, hw], { generator: g });
  const geometry = convGeometry(x, w, { padding: 1 });
  return () => {
    if (part === 'fwd') return conv2d(x, w, null, { padding: 1 }).data();
    if (part === 'dx') return runKernel1(conv2dGradInputKernel, [dy, w], geometry).data();
    if (part === 'dW') return runKernel1(conv2dGradWeightKernel, [x, dy], geometry).data();
    const xx = x.detach();
    xx.requiresGrad = true;
    const ww = w.detach();
    ww.requiresGrad = true;
    conv2d(xx, ww, null, { padding: 1 }).backward(dy);
    return [xx.grad!.data(), ww.grad!.data()];
  };
}

/** A seeded CIFAR-shaped host batch: images [n, 3, 32, 32] (NCHW) and labels. */
export function hostBatch(n: number, classes: number, seed = 1): { x: Float32Array; labels: Int32Array } {
  const g = new Generator(seed);
  const x = Float32Array.from({ length: n * 3 * 32 * 32 }, () => g.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 37) % classes);
  return { x, labels };
}

/** The two pooling ops of issue #11 ("DynOPool forward+backward <= 1.3x a 2x2 max pool's"). */
export type PoolOp = 'dynopool' | 'maxpool';

/**
 * The functions that time issue #11's pair on dynopool's current backend, both on the same
 * x [n, 64, 32, 32]: DynOPool forward+backward with alpha (32/17, 32/13), so 32x32 -> 17x13 and
 * the size gradient of alpha included, and 2x2 max pool forward+backward (-> 16x16). Each
 * returns the input gradient's values.
 */
export function poolCases(n: number, g: Generator): Record<PoolOp, () => unknown> {
  const x = randn([n, 64, 32, 32], { generator: g });
  const alpha = tensor([32 / 17, 32 / 13]);
  const dyDyno = randn([n, 64, 17, 13], { generator: g }),
    dyPool = randn([n, 64, 16, 16], { generator: g });
  const fwdBwd = (op: PoolOp) => () => {
    const xx = x.detach();
    xx.requiresGrad = true;
    if (op === 'dynopool') {
      const a = alpha.detach();
      a.requiresGrad = true;
      dynoPool2d(xx, a).output.backward(dyDyno);
    } else maxPool2d(xx, { kernelSize: 2 }).backward(dyPool);
    return xx.grad!.data();
  };
  return { dynopool: fwdBwd('dynopool'), maxpool: fwdBwd('maxpool') };
}
