/**
 * The lab's training Worker. It runs the same training loop as `dynopool train`
 * (src/train/loop.ts) on gpu.js in this browser (webgl2 where the page has it) and reports to the
 * page (src/lab/protocol.ts): every step's losses, GMACs and sizes, every epoch's record, each
 * stage's feature map now and then, and the run's files (config.json, metrics.jsonl,
 * checkpoint.safetensors) whenever the checkpoint is written. It runs in a Worker because
 * gpu.js's WebGL readbacks are synchronous: on the page's main thread they would freeze it.
 *
 * Pause waits between batches; stop saves a checkpoint (a resumable one: `dynopool train
 * --resume` continues it in Node) and ends the run.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from '../backend/memory.js';
import { isSoftwareRenderer, modeUnavailableReason, resolveMode, type GpuMode } from '../backend/gpu/runtime.js';
import { getBackend, setBackend } from '../backend/registry.js';
import { gather, toTensor, type Dataset } from '../data/dataset.js';
import { normalize } from '../data/transforms.js';
import { decodeDataset } from '../data/wire.js';
import { dynoPoolStates } from '../nn/complexity.js';
import type { ImageClassifier } from '../nn/models/common.js';
import { featureMap } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { DEFAULTS, type RunConfig } from '../train/config.js';
import { trainInto, type RunStore } from '../train/loop.js';
import type { FromWorker, RunFilesBytes, StageMap, StartMessage, ToWorker } from './protocol.js';
import '../backends/index.js';

/** The Worker's global scope, as much of it as this file uses. */
interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: 'error' | 'unhandledrejection', listener: (e: Event) => void): void;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: Transferable[]) => scope.postMessage(m, transfer);

let paused = false;
let stopRequested = false;
let wake: (() => void) | null = null;
let running = false;

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'start') {
    if (running) return post({ type: 'error', message: 'lab: a run is already going in this Worker' });
    running = true;
    start(m).catch(report);
  } else if (m.type === 'pause') {
    paused = true;
  } else if (m.type === 'resume') {
    paused = false;
    wake?.();
  } else if (m.type === 'stop') {
    stopRequested = true;
    paused = false;
    wake?.();
  }
};
scope.addEventListener('error', (e) => report((e as ErrorEvent).error ?? (e as ErrorEvent).message));
scope.addEventListener('unhandledrejection', (e) => report((e as PromiseRejectionEvent).reason));

function report(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ type: 'error', message: err.message, stack: err.stack });
}

/**
 * Chooses the backend: 'reference', or gpu.js in the requested mode. A gpu.js mode this browser
 * lacks (no WebGL2) falls back to the best it has, with a notice for the page to show.
 */
function chooseBackend(requested: string): { notice: string | null; mode: GpuMode | null; renderer: string | null } {
  if (requested === 'reference') {
    setBackend('reference');
    return { notice: null, mode: null, renderer: null };
  }
  // probe only what is needed: each probed GL mode holds a WebGL context, and a Worker keeps few
  // (Chromium drops the oldest, silently: then every kernel fails to compile)
  const wanted = requested === 'auto' ? 'webgl2' : (requested as GpuMode);
  const mode = modeUnavailableReason(wanted) === null ? wanted : resolveMode('auto');
  setBackend('gpu', { mode });
  let notice =
    mode === wanted
      ? null
      : `${wanted === 'webgl2' ? 'No WebGL2 in this browser' : `gpu.js mode '${wanted}' is not available here`}: training on gpu.js ${mode} instead (slower).`;
  const renderer = mode === 'webgl2' || mode === 'webgl' ? webglRenderer(mode) : null;
  if (renderer && isSoftwareRenderer(renderer))
    notice = `${notice ? `${notice} ` : ''}${mode} runs on a software renderer here (${renderer}), not a GPU: the 'gpu.js cpu' mode may well be faster on this machine.`;
  return { notice, mode, renderer };
}

/**
 * The renderer behind WebGL in this Worker ('ANGLE (..., SwiftShader ...)' when it is software),
 * from a context made for the question and released at once (a Worker keeps few contexts).
 */
function webglRenderer(mode: 'webgl2' | 'webgl'): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext(mode) as WebGLRenderingContext | null;
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}

async function start(m: StartMessage): Promise<void> {
  post({ type: 'status', text: `loading ${m.cfg.dataset}...` });
  const response = await fetch(m.dataUrl);
  if (!response.ok) throw new Error(`lab: ${m.dataUrl}: ${response.status} ${await response.text()}`);
  const dataset = decodeDataset(new Uint8Array(await response.arrayBuffer()), m.dataUrl);
  const { notice, mode, renderer } = chooseBackend(m.mode);
  const cfg: RunConfig = { ...DEFAULTS, model: 'vgg5', ...m.cfg, backend: mode ? 'gpu' : 'reference' };
  if (mode) cfg.gpuMode = mode;
  else delete cfg.gpuMode;
  const files: RunFilesBytes = { config: '', metrics: '', checkpoint: null };
  const store: RunStore = {
    where: 'the lab page',
    checkpointName: 'checkpoint.safetensors',
    writeConfig: (json) => {
      files.config = json;
    },
    writeMetrics: (jsonl) => {
      files.metrics = jsonl;
    },
    writeCheckpoint: (bytes) => {
      files.checkpoint = bytes;
      post({ type: 'files', files: { ...files, checkpoint: bytes.slice() } });
    },
    readCheckpoint: () => files.checkpoint,
  };
  let sample: () => Tensor = () => {
    throw new Error('lab: no sample image before the run starts');
  };
  let model: ImageClassifier | null = null;
  let steps = 0;
  post({ type: 'status', text: `training on ${getBackend().name}...` });
  const result = await trainInto(cfg, dataset, store, {
    onStart: (s) => {
      model = s.model;
      sample = sampleImage(dataset, s.stats);
      post({
        type: 'started',
        backend: getBackend().name,
        notice,
        renderer,
        params: s.model.parameters().reduce((n, p) => n + p.size, 0),
        baselineGmacs: s.baselineGmacs,
        dataset: {
          name: dataset.name,
          shape: dataset.shape,
          train: dataset.train.count,
          test: dataset.test.count,
          numClasses: dataset.numClasses,
        },
        batches: s.batches,
      });
      if (m.mapsEvery > 0) post({ type: 'maps', step: 0, maps: stageMaps(s.model, sample) });
    },
    onBatch: (b) => {
      steps++;
      post({
        type: 'step',
        step: steps,
        epoch: b.epoch,
        batch: b.batch,
        batches: b.batches,
        loss: b.stepLoss,
        taskLoss: b.stepTaskLoss,
        epochLoss: b.loss,
        gmacs: b.gmacs,
        sizes: b.sizes,
        alphas: model ? dynoPoolStates(model).map((l) => l.alpha) : [],
        imagesPerSecond: b.imagesPerSecond,
      });
      if (model && m.mapsEvery > 0 && steps % m.mapsEvery === 0)
        post({ type: 'maps', step: steps, maps: stageMaps(model, sample) });
    },
    onEpoch: (record) => post({ type: 'epoch', record }),
    between: async () => {
      if (!paused) return;
      post({ type: 'paused' });
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (!stopRequested) post({ type: 'resumed' });
    },
    shouldStop: () => stopRequested || (m.maxSteps > 0 && steps >= m.maxSteps),
  });
  if (model) post({ type: 'maps', step: steps, maps: stageMaps(model, sample) });
  post({ type: 'done', stopped: result.stopped, steps });
  running = false;
}

/** The first test image, normalised like the training batches (`stats`), as a [1, C, H, W] tensor. */
function sampleImage(ds: Dataset, stats: { mean: number[]; std: number[] }): () => Tensor {
  const { x } = gather(ds.test, ds.shape, [0]);
  normalize(x, 1, ds.shape, stats.mean, stats.std);
  return () => toTensor(x, 1, ds.shape);
}

/**
 * Each stage's feature map for the sample image, in eval mode (nothing in the model changes): the
 * input, then the activation after every layer of `model.features` that changed the size, as
 * the mean |activation| over channels scaled to [0, 1]. Drawn to scale, they are the paper's
 * Fig. 4: how DynOPool reshapes the receptive field as alpha learns.
 */
function stageMaps(model: ImageClassifier, sample: () => Tensor): StageMap[] {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        const x = sample();
        const maps = [toMap('input', x)];
        let f = featureMap(x);
        let stage = 0;
        for (const layer of model.features.layers) {
          const [h, w] = [f.x.shape[2], f.x.shape[3]];
          f = layer.forward(f);
          if (f.x.shape[2] !== h || f.x.shape[3] !== w) maps.push(toMap(`stage ${++stage}`, f.x));
        }
        return maps;
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/** Mean |x| over channels of image 0 of x [N, C, H, W], scaled to [0, 1]. */
function toMap(label: string, x: Tensor): StageMap {
  const [, C, h, w] = x.shape;
  const v = x.data();
  const values = new Float32Array(h * w);
  for (let c = 0; c < C; c++) for (let p = 0; p < h * w; p++) values[p] += Math.abs(v[c * h * w + p]) / C;
  let max = 0;
  for (const a of values) max = Math.max(max, a);
  if (max > 0) for (let p = 0; p < values.length; p++) values[p] /= max;
  return { label, h, w, values };
}
