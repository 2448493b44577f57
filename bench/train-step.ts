/**
 * Train-step benchmark (issue #11, benny): one training step of the CIFAR VGGs with batchnorm
 * (VGG-11 at half width, VGG-16; input 3x32x32, 100 classes) on dynopool's engines against the
 * same model in TensorFlow.js wasm (XNNPACK convolutions for its conv gradients too) in the same
 * run; the 3x3 convolutions' forward / input-gradient / weight-gradient GFLOP/s next to
 * XNNPACK's peak; and the resident set size over many VGG-16 steps on dynopool's default engine.
 * Writes bench/results/train-step.json (benny summaries and the RSS samples) and train-step.md.
 *
 *   npm run bench:step                                       # N = 32, VGG-11 half + VGG-16, RSS over 200 steps
 *   BENCH_BATCH=8 BENCH_MODELS=vgg11h npm run bench:step     # quick: a couple of minutes
 *   BENCH_MODELS=vgg11h BENCH_PARTS=step npm run bench:step  # VGG-11 half width, N = 32, steps only
 *   BENCH_PARTS=rss BENCH_RSS_STEPS=200 npm run bench:step   # only the VGG-16 RSS run (hours on the reference)
 *
 * Environment:
 *   BENCH_BATCH        batch size N (32)
 *   BENCH_MODELS       vgg11h, vgg16 (both)
 *   BENCH_ENGINES      reference, gpu.js modes, wasm (dynopool's native WebAssembly backend),
 *                      tfjs-wasm, tfjs-cpu (default: reference,webasm,wasm,tfjs-wasm; an engine
 *                      this machine lacks is skipped with a note)
 *   BENCH_PARTS        step, conv, rss (default: step,conv, plus rss when vgg16 is in BENCH_MODELS)
 *   BENCH_CONV_SHAPES  which conv shapes, as ci-co-hw (default: 3-64-32,64-64-32,128-128-16,256-256-8)
 *   BENCH_RSS_STEPS    VGG-16 steps for the RSS curve (200); BENCH_RSS_BATCH (N); BENCH_RSS_ENGINE
 *                      (default: the backend dynopool starts on, 'reference' unless DYNOPOOL_BACKEND says otherwise)
 *   BENCH_MIN_SAMPLES (2), BENCH_MAX_TIME (1 s): benny's per-case sampling (each step is seconds long)
 *   BENCH_TAG          write train-step-<tag>.json / .md instead (runs of other configurations beside the main one)
 *
 * Before timing, the peer is checked: on a small VGG-11 loaded with dynopool's weights, the loss
 * and every parameter gradient of tfjs (custom XNNPACK-convolution gradients, cpu and wasm), of
 * tfjs's own autodiff (cpu) and of dynopool (reference) must agree, and so must two SGD steps;
 * each benchmarked model must have the same parameter count and MACs in both. Otherwise it refuses.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Summary } from 'benny/lib/internal/common-types.js';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import {
  Generator,
  SGD,
  countMacs,
  crossEntropy,
  getBackend,
  setBackend,
  tensor,
  trainStep,
  vgg,
  type ImageClassifier,
  type VggName,
} from '../src/index.js';
import {
  CONV_SHAPES,
  XNNPACK_PEAK_GFLOPS,
  caseFor,
  convCase,
  convFlops,
  hostBatch,
  oursUnavailable,
  outDir,
  runSuite,
  useOurs,
  type Case,
  type ConvPart,
  type Row,
  loadNow,
  machineLine,
  runMeta,
} from './harness.js';
import { registerTfGradients, tf, useTf, type TfBackend } from './tfjs.js';
import { TfVgg } from './tfjs-vgg.js';

const env = process.env;
const N = Number(env.BENCH_BATCH ?? 32);
const NUM_CLASSES = 100;
const MODELS: Record<string, { arch: VggName; width: number; label: string }> = {
  vgg11h: { arch: 'vgg11', width: 0.5, label: 'VGG-11 half width (BN)' },
  vgg16: { arch: 'vgg16', width: 1, label: 'VGG-16 (BN)' },
};
const models = (env.BENCH_MODELS ?? 'vgg11h,vgg16').split(',');
for (const m of models) if (!MODELS[m]) throw new Error(`BENCH_MODELS: unknown model '${m}' (vgg11h, vgg16)`);
const parts = (env.BENCH_PARTS ?? ['step', 'conv', ...(models.includes('vgg16') ? ['rss'] : [])].join(',')).split(',');
const convShapes = env.BENCH_CONV_SHAPES
  ? env.BENCH_CONV_SHAPES.split(',').map((s) => s.split('-').map(Number) as unknown as (typeof CONV_SHAPES)[number])
  : CONV_SHAPES;
const sampling = { minSamples: Number(env.BENCH_MIN_SAMPLES ?? 2), maxTime: Number(env.BENCH_MAX_TIME ?? 1) };
const rssSteps = Number(env.BENCH_RSS_STEPS ?? 200);
const rssBatch = Number(env.BENCH_RSS_BATCH ?? N);
const rssEngine = env.BENCH_RSS_ENGINE ?? getBackend().name;
const PEER = 'tfjs-wasm';
const resultName = env.BENCH_TAG ? `train-step-${env.BENCH_TAG.replace(/[^\w-]+/g, '_')}` : 'train-step';

// engines: those asked for, less those this machine lacks (noted)
const notes: string[] = [];
const engines: string[] = [];
for (const e of (env.BENCH_ENGINES ?? `reference,webasm,wasm,${PEER}`).split(',')) {
  if (e === 'tfjs-wasm' || e === 'tfjs-cpu') {
    engines.push(e);
    continue;
  }
  const why = oursUnavailable(e);
  if (why === null) engines.push(e);
  else
    notes.push(
      e === 'wasm'
        ? `dynopool 'wasm' (native WebAssembly backend) skipped: setBackend('wasm') failed (${why}); it is detected at run time`
        : `${e} skipped: ${why}`,
    );
}
const ours = engines.filter((e) => !e.startsWith('tfjs-'));
notes.forEach((n) => console.log(`note: ${n}`));

const require = createRequire(import.meta.url);
const tfVersion = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
const meta = {
  ...runMeta('bench:step', (k) => k.startsWith('BENCH_')),
  tfjs: tfVersion,
  batch: N,
  engines,
  sampling,
};

// ---------------------------------------------------------------------------------------------
// the batch and the models

const oursModel = (arch: VggName, width: number, classes: number): ImageClassifier =>
  vgg(arch, { width, numClasses: classes, generator: new Generator(0) });

const paramData = (m: ImageClassifier) =>
  m.parameters().map((p) => ({ shape: p.shape, data: Float32Array.from(p.data()) }));

/** The tfjs peer of a dynopool model, loaded with its weights, and its inputs (NHWC, one-hot). */
function tfPeer(
  arch: VggName,
  width: number,
  classes: number,
  init: ReturnType<typeof paramData>,
  batch: ReturnType<typeof hostBatch>,
  autodiff = false,
) {
  const n = batch.labels.length;
  const model = new TfVgg(arch, { width, numClasses: classes, autodiff });
  model.loadFrom(init);
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(batch.x, [n, 3, 32, 32]), [0, 2, 3, 1])) as Tensor4D;
  const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes), 'float32')) as Tensor2D;
  return { model, x, onehot, dispose: () => (model.dispose(), tf.dispose([x, onehot])) };
}

// ---------------------------------------------------------------------------------------------
// the check: the peer computes what dynopool computes

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0,
    scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

async function checkPeer(): Promise<string[]> {
  const report: string[] = [];
  await registerTfGradients();
  const fail = (what: string) => {
    throw new Error(`train-step: the tfjs peer disagrees with dynopool (${what}); refusing to time it`);
  };
  const [arch, width, classes, n] = ['vgg11' as VggName, 0.125, 10, 4];
  setBackend('reference');
  const batch = hostBatch(n, classes, 2);
  const model = oursModel(arch, width, classes);
  const init = paramData(model);
  const x = tensor(batch.x, { shape: [n, 3, 32, 32] });
  model.zeroGrad();
  const loss = crossEntropy(model.forward(x), batch.labels);
  loss.backward();
  const ourLoss = loss.item();
  const ourGrads = model.parameters().map((p) => p.grad!.data());
  let autodiffGrads: Float32Array[] = [];
  const compareGrads = (label: string, r: { loss: number; grads: tf.Tensor[] }, autodiff: boolean) => {
    const grads = r.grads.map((g) => TfVgg.toOurLayout(g));
    tf.dispose(r.grads);
    const e = Math.max(Math.abs(r.loss - ourLoss) / Math.abs(ourLoss), ...grads.map((g, i) => relErr(g, ourGrads[i])));
    report.push(
      `${label}: loss and ${ourGrads.length} gradients within ${e.toExponential(1)} (relative) of dynopool's`,
    );
    if (!(e < 1e-3)) fail(`${label}: relative error ${e}`);
    if (autodiff) autodiffGrads = grads;
    else {
      const ea = Math.max(...grads.map((g, i) => relErr(g, autodiffGrads[i])));
      report.push(`${label}: gradients within ${ea.toExponential(1)} (relative) of tf's own autodiff (cpu)`);
      if (!(ea < 1e-3)) fail(`${label} against tf's autodiff: relative error ${ea}`);
    }
  };
  for (const [tfb, autodiff] of [
    ['cpu', true],
    ['cpu', false],
    ['wasm', false],
  ] as [TfBackend, boolean][]) {
    await useTf(tfb);
    const peer = tfPeer(arch, width, classes, init, batch, autodiff);
    compareGrads(
      `tfjs-${tfb} ${autodiff ? "tf's own autodiff" : 'XNNPACK-convolution gradients'}`,
      peer.model.lossAndGrads(peer.x, peer.onehot),
      autodiff,
    );
    peer.dispose();
  }
  // two SGD momentum steps (the second sees the first's update and momentum buffer)
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const ourLosses = [0, 1].map(() => trainStep(model, opt, { x, labels: batch.labels }, { lambda: 0 }).loss);
  await useTf('wasm');
  const peer = tfPeer(arch, width, classes, init, batch);
  const tfLosses = [0, 1].map(() => peer.model.step(peer.x, peer.onehot));
  const after = peer.model.params.map((p) => TfVgg.toOurLayout(p));
  peer.dispose();
  const e = Math.max(
    ...tfLosses.map((l, i) => Math.abs(l - ourLosses[i]) / Math.abs(ourLosses[i])),
    ...model.parameters().map((p, i) => relErr(after[i], p.data())),
  );
  report.push(`tfjs-wasm: two SGD steps: losses and parameters within ${e.toExponential(1)} (relative) of dynopool's`);
  if (!(e < 1e-3)) fail(`two SGD steps: relative error ${e}`);
  return report;
}

// ---------------------------------------------------------------------------------------------
// results

interface StepResultRow {
  model: string;
  label: string;
  batch: number;
  params: number;
  macsPerImage: number;
  summary: Summary;
  rows: Row[];
  firstLoss: Record<string, number>;
}
const stepResults: StepResultRow[] = [];
const convRows: Row[] = [];
const convSummaries: Summary[] = [];
let rss: {
  engine: string;
  batch: number;
  steps: number;
  samplesMB: number[];
  firstMB: number;
  warmMB: number;
  peakMB: number;
  peakStep: number;
  lastMB: number;
  slopeMBPerStep: number;
  flat: boolean;
  sPerStep: number;
} | null = null;
let checks: string[] = [];

const mb = (bytes: number) => bytes / 2 ** 20;

function writeResults(): void {
  meta.loadavgEnd = loadNow();
  writeFileSync(
    `${outDir}${resultName}.json`,
    JSON.stringify({ meta, notes, checks, steps: stepResults, conv: convSummaries, rss }, null, 2) + '\n',
  );
  const L: string[] = [
    `# dynopool train-step benchmark (${meta.date})`,
    '',
    `\`${meta.command}\``,
    '',
    `Batch N = ${N}, CIFAR input 3x32x32, 100 classes; one step = \`trainStep(model, SGD momentum 0.9, batch, { lambda: 0 })\` ` +
      `against the same model in TensorFlow.js ${meta.tfjs} wasm (XNNPACK convolutions, its conv gradients written as XNNPACK convolutions). ` +
      `${machineLine(meta)} ` +
      `Timings are noisy: compare the ratios, each measured against the peer in the same run. benny, median of >= ${sampling.minSamples} samples.`,
    '',
    ...notes.map((n) => `- note: ${n}`),
    ...(notes.length ? [''] : []),
    'Peer checks (before timing):',
    '',
    ...checks.map((c) => `- ${c}`),
    '',
  ];
  for (const r of stepResults) {
    const peer = r.rows.find((x) => x.engine === PEER);
    L.push(
      `## ${r.label}, N = ${r.batch}`,
      '',
      `${(r.params / 1e6).toFixed(3)} M parameters, ${(r.macsPerImage / 1e6).toFixed(1)} M MACs per image forward ` +
        `(the same in both, checked); a step is about ${((6 * r.macsPerImage * r.batch) / 1e9).toFixed(1)} GFLOP (forward, input and weight gradients).`,
      '',
      '| engine | s/step | img/s | x tfjs-wasm (time) | samples | first-step loss |',
      '|---|---|---|---|---|---|',
    );
    for (const row of r.rows) {
      const s = row.ms / 1000;
      L.push(
        `| ${row.engine} | ${s.toFixed(3)} | ${(r.batch / s).toFixed(1)} | ${peer && row.engine !== PEER ? `x${(row.ms / peer.ms).toFixed(1)}` : '-'} | ` +
          `${row.samplesMs.length} | ${r.firstLoss[row.engine]?.toFixed(5) ?? '-'} |`,
      );
    }
    L.push('');
  }
  if (convRows.length) {
    L.push(
      `## 3x3 convolutions, N = ${N}: GFLOP/s (x = time / tfjs-wasm time); XNNPACK's peak here is about ${XNNPACK_PEAK_GFLOPS} GFLOP/s`,
      '',
      `| shape | part | ${[...ours, ...engines.filter((e) => e.startsWith('tfjs-'))].join(' | ')} |`,
      `|---|---|${engines.map(() => '---').join('|')}|`,
    );
    const cols = [...ours, ...engines.filter((e) => e.startsWith('tfjs-'))];
    for (const suite of [...new Set(convRows.map((r) => r.suite))]) {
      const [shape, part] = suite.split(' | ');
      const peer = convRows.find((r) => r.suite === suite && r.engine === PEER);
      const cells = cols.map((e) => {
        const r = convRows.find((x) => x.suite === suite && x.engine === e);
        if (!r) return '-';
        const pct = ((100 * r.gflops!) / XNNPACK_PEAK_GFLOPS).toFixed(0);
        return `${r.gflops!.toFixed(2)} (${pct}% of peak${peer && e !== PEER ? `, x${(r.ms / peer.ms).toFixed(1)}` : ''})`;
      });
      L.push(`| ${shape} | ${part} | ${cells.join(' | ')} |`);
    }
    L.push('');
  }
  if (rss) {
    L.push(
      `## Resident set size of VGG-16 (BN) steps on '${rss.engine}', N = ${rss.batch}, ${rss.steps} steps`,
      '',
      `process.memoryUsage().rss after each step (${rss.sPerStep.toFixed(1)} s/step): after step 1 ${rss.firstMB.toFixed(0)} MB, ` +
        `after warm-up (step ${Math.min(rss.steps, Math.max(2, Math.ceil(rss.steps / 10)))}) ${rss.warmMB.toFixed(0)} MB, ` +
        `peak ${rss.peakMB.toFixed(0)} MB (step ${rss.peakStep}), last ${rss.lastMB.toFixed(0)} MB; ` +
        `slope after warm-up ${rss.slopeMBPerStep.toFixed(2)} MB/step: ${rss.flat ? 'flat' : 'NOT flat'} ` +
        `(flat: the last sample at most 5% above the post-warm-up one).`,
      '',
    );
  }
  writeFileSync(`${outDir}${resultName}.md`, L.join('\n') + '\n');
  console.log(`\n${L.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// the parts

checks = await checkPeer();
checks.forEach((c) => console.log(`check: ${c}`));

if (parts.includes('rss')) {
  // first, so that no other engine's memory is in the curve
  setBackend('reference');
  const why = oursUnavailable(rssEngine);
  if (why) throw new Error(`BENCH_RSS_ENGINE=${rssEngine}: ${why}`);
  useOurs(rssEngine);
  const model = oursModel('vgg16', 1, NUM_CLASSES);
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const host = hostBatch(rssBatch, NUM_CLASSES);
  const batch = { x: tensor(host.x, { shape: [rssBatch, 3, 32, 32] }), labels: host.labels };
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < rssSteps; i++) {
    trainStep(model, opt, batch, { lambda: 0 });
    samples.push(mb(process.memoryUsage().rss));
    if ((i + 1) % 10 === 0 || i === 0)
      console.log(
        `rss: step ${i + 1}/${rssSteps}: ${samples[i].toFixed(0)} MB (${((performance.now() - t0) / 1000 / (i + 1)).toFixed(1)} s/step)`,
      );
  }
  const warm = Math.min(rssSteps - 1, Math.max(1, Math.ceil(rssSteps / 10) - 1));
  const tail = samples.slice(warm);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const ti = tail.map((_, i) => i),
    tm = mean(ti),
    vm = mean(tail);
  const slope =
    tail.length > 1
      ? ti.reduce((s, t, i) => s + (t - tm) * (tail[i] - vm), 0) / ti.reduce((s, t) => s + (t - tm) ** 2, 0)
      : 0;
  const peak = Math.max(...samples);
  rss = {
    engine: rssEngine,
    batch: rssBatch,
    steps: rssSteps,
    samplesMB: samples.map((s) => +s.toFixed(1)),
    firstMB: samples[0],
    warmMB: samples[warm],
    peakMB: peak,
    peakStep: samples.indexOf(peak) + 1,
    lastMB: samples[samples.length - 1],
    slopeMBPerStep: slope,
    // flat = no growth: a leak grows; the garbage collector handing memory back does not count
    flat: samples[samples.length - 1] - samples[warm] <= 0.05 * samples[warm],
    sPerStep: (performance.now() - t0) / 1000 / rssSteps,
  };
  setBackend('reference');
  writeResults();
}

if (parts.includes('conv')) {
  const g = new Generator(0);
  for (const shape of convShapes) {
    const [ci, co, hw] = shape;
    for (const part of ['fwd', 'dx', 'dW'] as ConvPart[]) {
      const name = `conv2d ${ci}->${co} @${hw}x${hw} | ${part}`;
      const cases: Case[] = [];
      for (const engine of engines) {
        const c = await caseFor(engine, engines, (tfb) => convCase(part, shape, N, tfb, g));
        if (c) cases.push(c);
      }
      convSummaries.push(await runSuite(name, cases, convRows, { ...sampling, flops: convFlops(shape, N) }));
    }
  }
  setBackend('reference');
  writeResults();
}

if (parts.includes('step')) {
  for (const key of models) {
    const { arch, width, label } = MODELS[key];
    // the parameter count and MACs of both, before anything is timed
    setBackend('reference');
    const ref = oursModel(arch, width, NUM_CLASSES);
    const params = ref.parameters().reduce((a, p) => a + p.size, 0);
    const macs = countMacs(ref, [3, 32, 32]).totalMacs;
    const init = paramData(ref);
    const host = hostBatch(N, NUM_CLASSES);
    await useTf('wasm');
    {
      const probe = new TfVgg(arch, { width, numClasses: NUM_CLASSES });
      tf.tidy(() => probe.forward(tf.zeros([2, 32, 32, 3]), []));
      const [tfParams, tfMacs] = [probe.paramCount, probe.macsPerImage];
      probe.dispose();
      if (tfParams !== params || tfMacs !== macs)
        throw new Error(
          `train-step: ${label}: tfjs has ${tfParams} parameters and ${tfMacs} MACs per image, dynopool ${params} and ${macs}; refusing to compare`,
        );
    }
    const firstLoss: Record<string, number> = {};
    const disposers: (() => void)[] = [];
    const cases: Case[] = [];
    for (const engine of engines) {
      const c = await caseFor(engine, engines, (tfb) => {
        if (tfb) {
          const peer = tfPeer(arch, width, NUM_CLASSES, init, host);
          disposers.push(peer.dispose);
          return () => {
            const loss = peer.model.step(peer.x, peer.onehot);
            firstLoss[engine] ??= loss;
            return loss;
          };
        }
        const model = oursModel(arch, width, NUM_CLASSES);
        const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
        const batch = { x: tensor(host.x, { shape: [N, 3, 32, 32] }), labels: host.labels };
        return () => {
          const r = trainStep(model, opt, batch, { lambda: 0 });
          firstLoss[engine] ??= r.loss;
          return r;
        };
      });
      if (c) cases.push(c);
    }
    const rows: Row[] = [];
    const summary = await runSuite(`train step ${label} N=${N}`, cases, rows, sampling);
    disposers.forEach((d) => d());
    stepResults.push({ model: key, label, batch: N, params, macsPerImage: macs, summary, rows, firstLoss });
    setBackend('reference');
    writeResults();
  }
}

writeResults();
