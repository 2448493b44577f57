/**
 * Kernel benchmarks (benny): conv2d forward and forward+backward at the CIFAR VGG shapes,
 * batchnorm forward+backward, DynOPool forward+backward against 2x2 max pooling, on the
 * reference backend, the wasm backend (WebAssembly SIMD GEMM), every gpu.js mode this machine
 * offers, and TensorFlow.js cpu / wasm in the same run. The conv shapes also time the input
 * gradient (dx) and the weight gradient (dw) kernels alone. Writes bench/results/<suite>.json
 * (benny) and bench/results/summary.md.
 *
 *   npm run bench                        # N = 32, every engine
 *   BENCH_ENGINES=wasm,tfjs-wasm BENCH_ONLY='64->64 @32|256->256' npm run bench
 *   BENCH_BATCH=8 BENCH_ENGINES=reference,webasm,tfjs-wasm BENCH_ONLY='dynopool|maxpool' npm run bench
 * (a BENCH_ONLY run writes summary-<pattern>.md instead of summary.md)
 */
import { writeFileSync } from 'node:fs';
import {
  Generator,
  batchNorm2d,
  conv2d,
  randn,
  setBackend,
  tensor,
  availableModes,
  getBackend,
  type Tensor,
} from '../src/index.js';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import {
  CONV_SHAPES,
  caseFor as caseForEngines,
  convCase,
  convFlops,
  outDir,
  poolCases,
  runSuite,
  type Row,
} from './harness.js';
import { batchNormFwdBwd, filterGrad, inputGrad, maxPoolFwdBwd, tf, useTf } from './tfjs.js';

const N = Number(process.env.BENCH_BATCH ?? 32);
const maxTime = Number(process.env.BENCH_MAX_TIME ?? 2);
const ours = ['reference', 'wasm', ...availableModes()];
const engines = (process.env.BENCH_ENGINES ?? [...ours, 'tfjs-cpu', 'tfjs-wasm'].join(',')).split(',');

const rows: Row[] = [];
const g = new Generator(0);

const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;

async function suite(name: string, flops: number | undefined, cases: [string, () => unknown][]): Promise<void> {
  if (only && !only.test(name)) return;
  await runSuite(name, cases, rows, { flops, minSamples: 2, maxTime, save: true });
}

const caseFor = (engine: string, build: Parameters<typeof caseForEngines>[2]) => caseForEngines(engine, engines, build);

const rnd = (shape: number[]) => randn(shape, { generator: g });

/** The tfjs peer's hand-written conv gradients must equal ours before they are timed. */
async function checkTfGradients(): Promise<void> {
  if (!engines.some((e) => e.startsWith('tfjs-'))) return;
  const tf = await useTf('cpu');
  setBackend('reference');
  const [n, ci, co, hw] = [2, 3, 4, 5];
  const x = rnd([n, ci, hw, hw]),
    w = rnd([co, ci, 3, 3]),
    dy = rnd([n, co, hw, hw]);
  const xx = x.detach();
  xx.requiresGrad = true;
  const ww = w.detach();
  ww.requiresGrad = true;
  conv2d(xx, ww, null, { padding: 1 }).backward(dy);
  const nhwc = (t: Tensor) =>
    tf.transpose(
      tf.tensor4d(t.data() as Float32Array, t.shape as [number, number, number, number]),
      [0, 2, 3, 1],
    ) as Tensor4D;
  const wt = tf.transpose(tf.tensor4d(w.data() as Float32Array, [co, ci, 3, 3]), [2, 3, 1, 0]) as Tensor4D;
  const dx = tf.transpose(inputGrad(nhwc(dy), wt), [0, 3, 1, 2]).dataSync();
  const dw = tf.transpose(filterGrad(nhwc(x), nhwc(dy), 3), [3, 2, 0, 1]).dataSync();
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  const e = Math.max(maxDiff(dx, xx.grad!.data()), maxDiff(dw, ww.grad!.data()));
  if (!(e < 1e-4)) throw new Error(`bench: the tfjs peer's conv gradients differ from ours by ${e}`);
}
await checkTfGradients();

for (const shape of CONV_SHAPES) {
  const [ci, co, hw] = shape;
  for (const part of ['fwd', 'dx', 'dW', 'fwd+bwd'] as const) {
    const name = `conv2d ${ci}->${co} @${hw}x${hw} N=${N} ${part}`;
    const cases: [string, () => unknown][] = [];
    for (const engine of engines) {
      const c = await caseFor(engine, (tfb) => convCase(part, shape, N, tfb, g));
      if (c) cases.push(c);
    }
    await suite(name, (part === 'fwd+bwd' ? 3 : 1) * convFlops(shape, N), cases);
  }
}

{
  const name = `batchnorm2d 32x64x32x32 fwd+bwd`.replace('32x', `${N}x`);
  const cases: [string, () => unknown][] = [];
  for (const engine of engines) {
    const c = await caseFor(engine, async (tfb) => {
      if (tfb) {
        const x = tf.randomNormal([N, 32, 32, 64]) as Tensor4D;
        const gamma = tf.ones([64]) as Tensor1D,
          beta = tf.zeros([64]) as Tensor1D;
        const dy = tf.randomNormal([N, 32, 32, 64]) as Tensor4D;
        return async () => {
          const gs = batchNormFwdBwd(x, gamma, beta, dy);
          for (const t of gs) {
            await t.data();
            t.dispose();
          }
        };
      }
      const x = rnd([N, 64, 32, 32]),
        dy = rnd([N, 64, 32, 32]);
      const weight = tensor(new Float32Array(64).fill(1)),
        bias = tensor(new Float32Array(64));
      return () => {
        const xx = x.detach();
        xx.requiresGrad = true;
        const ww = weight.detach();
        ww.requiresGrad = true;
        const bb = bias.detach();
        bb.requiresGrad = true;
        batchNorm2d(xx, { weight: ww, bias: bb }).backward(dy);
        return xx.grad!.data();
      };
    });
    if (c) cases.push(c);
  }
  await suite(name, undefined, cases);
}

for (const op of ['dynopool 32x64x32x32->17x13', 'maxpool2d 2x2 32x64x32x32']) {
  const name = `${op} fwd+bwd`.replace('32x64', `${N}x64`);
  const cases: [string, () => unknown][] = [];
  for (const engine of engines) {
    if (op.startsWith('dynopool') && engine.startsWith('tfjs-')) continue;
    const c = await caseFor(engine, async (tfb) => {
      if (tfb) {
        const x = tf.randomNormal([N, 32, 32, 64]) as Tensor4D;
        const dy = tf.randomNormal([N, 16, 16, 64]) as Tensor4D;
        try {
          maxPoolFwdBwd(x, dy).forEach((t) => t.dispose());
        } catch (e) {
          console.log(`${tfb}: no MaxPoolGrad kernel (${(e as Error).message.slice(0, 80)})`);
          return null;
        }
        return async () => {
          const outs = maxPoolFwdBwd(x, dy);
          for (const t of outs) {
            await t.data();
            t.dispose();
          }
        };
      }
      return poolCases(N, g)[op.startsWith('dynopool') ? 'dynopool' : 'maxpool'];
    });
    if (c) cases.push(c);
  }
  await suite(name, undefined, cases);
}

setBackend('reference');
// summary table: ms per call, GFLOP/s for convolutions, and the ratio to tfjs-wasm in the same suite
const suites = [...new Set(rows.map((r) => r.suite))];
const cols = engines;
const lines = [
  `# dynopool kernel benchmarks (N = ${N}, median of benny samples; ${new Date().toISOString()})`,
  '',
  `Engines: ${cols.join(', ')}. Cells: ms per call (GFLOP/s for convolutions; x = time / tfjs-wasm time).`,
  '',
  `| suite | ${cols.join(' | ')} |`,
  `|---|${cols.map(() => '---').join('|')}|`,
];
for (const s of suites) {
  const peer = rows.find((r) => r.suite === s && r.engine === 'tfjs-wasm');
  const cells = cols.map((e) => {
    const r = rows.find((x) => x.suite === s && x.engine === e);
    if (!r) return '-';
    const parts = [`${r.ms.toFixed(1)} ms`];
    if (r.gflops) parts.push(`${r.gflops.toFixed(2)} GF/s`);
    if (peer && e !== 'tfjs-wasm') parts.push(`x${(r.ms / peer.ms).toFixed(1)}`);
    return parts.join(', ');
  });
  lines.push(`| ${s} | ${cells.join(' | ')} |`);
}
const dyno = rows.filter((r) => r.suite.startsWith('dynopool'));
const pool = rows.filter((r) => r.suite.startsWith('maxpool2d'));
lines.push('', '| engine | DynOPool fwd+bwd / 2x2 max pool fwd+bwd |', '|---|---|');
for (const d of dyno) {
  const p = pool.find((r) => r.engine === d.engine);
  if (p) lines.push(`| ${d.engine} | ${(d.ms / p.ms).toFixed(2)} |`);
}
const summaryFile = only ? `summary-${process.env.BENCH_ONLY!.replace(/[^\w]+/g, '_')}.md` : 'summary.md';
writeFileSync(`${outDir}${summaryFile}`, lines.join('\n') + '\n');
console.log(`\n${lines.join('\n')}\n\nbackend at exit: ${getBackend().name}`);
void ({} as Tensor);
