/**
 * The messages between the lab page (page.ts) and its training Worker (worker.ts). The page sends
 * a `StartMessage` with a validated RunConfig, then pause / resume / stop; the Worker answers with
 * what it is doing, per-step numbers, epoch records, feature maps, the run's files and errors.
 */
import type { RunConfig } from '../train/config.js';
import type { EpochRecord } from '../train/loop.js';

/** Page -> Worker. */
export type ToWorker = StartMessage | { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

export interface StartMessage {
  type: 'start';
  /** the form's settings; the Worker takes `DEFAULTS` (src/train/config.ts) for the rest */
  cfg: FormConfig;
  /** gpu.js mode to ask for: 'auto' takes webgl2 where the page has it */
  mode: string;
  /** where the dataset's bytes are (src/data/wire.ts), served by `dynopool lab` */
  dataUrl: string;
  /** stop after this many steps (0: run every epoch) */
  maxSteps: number;
  /** send the feature maps every this many steps (0: never) */
  mapsEvery: number;
}

/** One stage's feature map for one test image: mean |activation| over channels, scaled to [0, 1]. */
export interface StageMap {
  /** 'input', or the resizer that made it: 'DynOPool 1', 'max pool 2', ... */
  label: string;
  h: number;
  w: number;
  values: Float32Array;
}

/** The run's three files, as `dynopool train` writes them into a run directory. */
export interface RunFilesBytes {
  config: string;
  metrics: string;
  checkpoint: Uint8Array | null;
}

/** Worker -> page. */
export type FromWorker =
  | { type: 'status'; text: string }
  | {
      type: 'started';
      backend: string;
      /** why the requested backend was not taken (no WebGL2: a fallback), or that WebGL is software here; else null */
      notice: string | null;
      /** the WebGL renderer (webgl2 / webgl modes), else null */
      renderer: string | null;
      params: number;
      baselineGmacs: number;
      dataset: { name: string; shape: readonly number[]; train: number; test: number; numClasses: number };
      batches: number;
    }
  | {
      type: 'step';
      step: number;
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
      taskLoss: number;
      epochLoss: number;
      gmacs: number;
      sizes: [number, number][];
      alphas: number[][];
      imagesPerSecond: number;
    }
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'maps'; step: number; maps: StageMap[] }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'files'; files: RunFilesBytes }
  | { type: 'done'; stopped: boolean; steps: number }
  | { type: 'error'; message: string; stack?: string };

/** What the form sets; the Worker fills in the rest from `DEFAULTS` (src/train/config.ts). */
export type FormConfig = Partial<RunConfig> & Pick<RunConfig, 'dataset' | 'seed'>;

/**
 * What the page has seen of the current run: `window.lab` (tests read it; so can a curious user
 * in the devtools console).
 */
export interface LabState {
  running: boolean;
  paused: boolean;
  backend: string | null;
  renderer: string | null;
  notice: string | null;
  config: FormConfig | null;
  steps: Extract<FromWorker, { type: 'step' }>[];
  epochs: EpochRecord[];
  maps: StageMap[];
  files: RunFilesBytes | null;
  done: Extract<FromWorker, { type: 'done' }> | null;
  errors: string[];
}
