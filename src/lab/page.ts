/**
 * The lab page: a form for one run, a Worker that trains it (worker.ts), and live views of what
 * it reports: loss, accuracy and GMACs curves (vega-lite, as in `dynopool report`), each stage's
 * feature map drawn to scale, the epoch table, and the run's files to download. Bad form values
 * are refused with a message naming the field; a Worker error is shown, never swallowed.
 *
 * `window.lab` holds everything the Worker reported (tests read it; so can a curious user in
 * the console).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { RunConfig } from '../train/config.js';
import type { EpochRecord } from '../train/loop.js';
import type { FormConfig, FromWorker, LabState, StageMap, StartMessage, ToWorker } from './protocol.js';

/** The state before a run reports anything. */
const freshState = (config: FormConfig | null): LabState => ({
  running: false,
  paused: false,
  backend: null,
  renderer: null,
  notice: null,
  config,
  steps: [],
  epochs: [],
  maps: [],
  files: null,
  done: null,
  errors: [],
});

const lab: LabState = freshState(null);
(window as unknown as { lab: LabState }).lab = lab;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('config');
let worker: Worker | null = null;

/** A form field as a number in [min, max] (an integer when asked), or an error naming the field. */
function field(name: string, label: string, min: number, max = Infinity, integer = false): number {
  const raw = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const range = `${integer ? 'an integer' : 'a number'} >= ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
    throw new Error(`${label} must be ${range}, got '${raw}'`);
  }
  return v;
}
const choice = (name: string) => (form.elements.namedItem(name) as HTMLSelectElement).value;

/** The run the form describes, or an error naming the first bad field. */
export function readForm(): { cfg: FormConfig; mode: string; maxSteps: number } {
  const dynopool = choice('pooling') === 'dynopool';
  const lambda = field('lambda', 'lambda', 0);
  if (lambda > 0 && !dynopool) throw new Error('lambda (the GMACs loss) only applies with DynOPool pooling');
  const transform = choice('transform');
  const cfg: FormConfig = {
    model: choice('model') as RunConfig['model'],
    dataset: choice('dataset'),
    transform: transform ? (transform as RunConfig['transform']) : undefined,
    limit: field('limit', 'training images', 64, 60000, true),
    width: field('width', 'width multiplier', 0.01, 4),
    dynopool,
    lambda,
    epochs: field('epochs', 'epochs', 1, 1000, true),
    batchSize: field('batchSize', 'batch size', 1, 4096, true),
    lr: field('lr', 'learning rate', 0, 10),
    alphaLr: field('alphaLr', 'alpha learning rate', 0, 10),
    seed: field('seed', 'seed', 0, 2 ** 32 - 1, true),
    backend: 'gpu',
  };
  if (cfg.batchSize! > cfg.limit!)
    throw new Error(`batch size ${cfg.batchSize} is larger than the ${cfg.limit} training images`);
  return { cfg, mode: choice('mode'), maxSteps: field('maxSteps', 'stop after steps', 0, 1e9, true) };
}

function show(id: 'notice' | 'error', text: string | null): void {
  const el = $(id);
  el.hidden = !text;
  el.textContent = text ?? '';
}

function setRunning(running: boolean): void {
  lab.running = running;
  $<HTMLButtonElement>('train').disabled = running;
  $<HTMLButtonElement>('pause').disabled = !running;
  $<HTMLButtonElement>('stop').disabled = !running;
  $<HTMLButtonElement>('pause').textContent = 'Pause';
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  show('error', null);
  let run: ReturnType<typeof readForm>;
  try {
    run = readForm();
  } catch (err) {
    show('error', `Not started: ${(err as Error).message}.`);
    return;
  }
  start(run);
});

$('pause').addEventListener('click', () => {
  lab.paused = !lab.paused;
  send({ type: lab.paused ? 'pause' : 'resume' });
  $('pause').textContent = lab.paused ? 'Resume' : 'Pause';
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));

const send = (m: ToWorker) => worker?.postMessage(m);

function start({ cfg, mode, maxSteps }: ReturnType<typeof readForm>): void {
  worker?.terminate();
  Object.assign(lab, freshState(cfg));
  show('notice', null);
  resetViews();
  setRunning(true);
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    fail(`the training Worker failed: ${e.message || 'could not load worker.js'}`);
  };
  const q = new URLSearchParams({ limit: String(cfg.limit ?? ''), seed: String(cfg.seed) });
  if (cfg.transform) q.set('transform', cfg.transform);
  const start: StartMessage = {
    type: 'start',
    cfg,
    mode,
    dataUrl: new URL(`data/${cfg.dataset}.bin?${q.toString()}`, location.href).href,
    maxSteps,
    mapsEvery: 5,
  };
  send(start);
}

function fail(message: string): void {
  lab.errors.push(message);
  show('error', `Error: ${message}`);
  $('status').textContent = 'stopped by an error';
  setRunning(false);
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'status':
      $('status').textContent = m.text;
      break;
    case 'started':
      lab.backend = m.backend;
      lab.notice = m.notice;
      lab.renderer = m.renderer;
      $('backend').textContent = m.backend;
      $('backend').title = m.renderer ?? '';
      $('backend').dataset.mode = m.backend;
      show('notice', m.notice);
      $('status').textContent =
        `${m.dataset.name} ${m.dataset.shape.join('x')}, ${m.dataset.train} train / ${m.dataset.test} test, ` +
        `${m.params.toLocaleString('en-US')} parameters, ${(m.baselineGmacs * 1e3).toFixed(4)} MMACs/img at start`;
      break;
    case 'step':
      lab.steps.push(m);
      $('speed').textContent = `${m.imagesPerSecond.toFixed(1)} img/s`;
      $('sizes').textContent = sizesText(m.sizes);
      $('sizes').dataset.sizes = JSON.stringify(m.sizes);
      $('status').textContent = `epoch ${m.epoch + 1}, batch ${m.batch}/${m.batches}, loss ${m.loss.toFixed(4)}`;
      addPoints('loss', [{ step: m.step, value: m.taskLoss, series: 'task loss' }]);
      addPoints('gmacs', [{ step: m.step, value: m.gmacs * 1e3, series: 'MMACs / image' }]);
      break;
    case 'epoch':
      lab.epochs.push(m.record);
      addEpochRow(m.record);
      addPoints('acc', [
        { step: m.record.epoch, value: 100 * m.record.trainAcc, series: 'train' },
        { step: m.record.epoch, value: 100 * m.record.testAcc, series: 'test' },
      ]);
      break;
    case 'maps':
      lab.maps = m.maps;
      drawMaps(m.maps);
      break;
    case 'paused':
      $('status').textContent = 'paused';
      break;
    case 'resumed':
      $('status').textContent = 'resumed';
      break;
    case 'files':
      lab.files = m.files;
      offer('dl-config', m.files.config, 'application/json');
      offer('dl-metrics', m.files.metrics, 'application/x-ndjson');
      if (m.files.checkpoint) offer('dl-checkpoint', m.files.checkpoint, 'application/octet-stream');
      break;
    case 'done':
      lab.done = m;
      $('status').textContent = m.stopped ? `stopped after ${m.steps} steps (checkpoint saved)` : 'done';
      setRunning(false);
      break;
    case 'error':
      fail(m.message);
      break;
  }
}

const sizesText = (sizes: [number, number][]) => sizes.map(([h, w]) => `[${h},${w}]`).join(' ');

/** Points `a` offers the bytes as a file (the old URL is released). */
function offer(id: string, body: string | Uint8Array, type: string): void {
  const a = $<HTMLAnchorElement>(id);
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([body as BlobPart], { type }));
  a.setAttribute('aria-disabled', body.length ? 'false' : 'true');
}

function addEpochRow(r: EpochRecord): void {
  const row = document.createElement('tr');
  for (const cell of [
    String(r.epoch),
    r.trainLoss.toFixed(4),
    `${(100 * r.trainAcc).toFixed(1)}%`,
    `${(100 * r.testAcc).toFixed(1)}%`,
    (r.gmacs * 1e3).toFixed(4),
    sizesText(r.sizes),
    r.imagesPerSecond.toFixed(1),
  ]) {
    const td = document.createElement('td');
    td.textContent = cell;
    row.append(td);
  }
  $('epochs').querySelector('tbody')!.append(row);
}

/** Each stage at `scale` pixels per cell, the same scale for all: sizes compare at a glance. */
function drawMaps(maps: StageMap[]): void {
  const box = $('maps');
  box.replaceChildren();
  const scale = Math.max(2, Math.floor(192 / Math.max(...maps.map((m) => Math.max(m.h, m.w)))));
  for (const m of maps) {
    const fig = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = m.w;
    canvas.height = m.h;
    canvas.style.width = `${m.w * scale}px`;
    canvas.style.height = `${m.h * scale}px`;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(m.w, m.h);
    for (let p = 0; p < m.h * m.w; p++) {
      const v = Math.round(255 * m.values[p]);
      img.data.set([v, Math.round(v * 0.85), 255 - v, 255], 4 * p);
    }
    ctx.putImageData(img, 0, 0);
    const caption = document.createElement('figcaption');
    caption.textContent = `${m.label}: ${m.h}x${m.w}`;
    fig.append(canvas, caption);
    box.append(fig);
  }
}

// --- charts: one vega-lite line chart per quantity, fed by changesets as the numbers arrive
interface Point {
  step: number;
  value: number;
  series: string;
}
const charts = new Map<string, vega.View>();
const CHARTS: Record<string, { title: string; x: string; y: string }> = {
  loss: { title: 'Task loss per step', x: 'step', y: 'cross-entropy' },
  acc: { title: 'Accuracy per epoch', x: 'epoch', y: 'accuracy %' },
  gmacs: { title: 'GMACs loss per step (MMACs / image)', x: 'step', y: 'MMACs / image' },
};

function resetViews(): void {
  for (const view of charts.values()) view.finalize();
  charts.clear();
  for (const name of Object.keys(CHARTS)) $(`chart-${name}`).replaceChildren();
  $('maps').replaceChildren();
  $('epochs').querySelector('tbody')!.replaceChildren();
  $('sizes').textContent = '';
  for (const id of ['dl-config', 'dl-metrics', 'dl-checkpoint']) $(id).setAttribute('aria-disabled', 'true');
}

/**
 * Adds points to a chart, creating it with its first points (vega lays out an empty line chart
 * with infinite bounds).
 */
function addPoints(chart: string, points: Point[]): void {
  const view = charts.get(chart);
  if (view) {
    void view.insert('points', points).runAsync();
    return;
  }
  const c = CHARTS[chart];
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: c.title,
    width: 320,
    height: 180,
    data: { name: 'points', values: points },
    mark: { type: 'line', point: chart === 'acc' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: c.x, axis: { format: 'd', tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: c.y, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
  const created = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'svg', hover: false });
  charts.set(chart, created);
  void created.initialize($(`chart-${chart}`)).runAsync();
}

resetViews();
