/** A training run's configuration: every knob, with the defaults of the paper's protocol. */
import { GPU_MODES } from '../backend/gpu/runtime.js';
import { TOY_TRANSFORMS, type ToyTransform } from '../data/transforms.js';
import { MAX_WIDTH, type BackboneOptions } from '../nn/models/common.js';
import { DATASETS } from '../data/dataset.js';
import { mobilenetv2 } from '../nn/models/mobilenetv2.js';
import { resnet20, resnet50 } from '../nn/models/resnet.js';
import { vgg, VGG_CONFIGS, type VggName } from '../nn/models/vgg.js';
import type { ImageClassifier } from '../nn/models/common.js';
import { DYNO_MAX_SCALE } from '../ops/dynopool/dynopool.js';

/** The backbones a run can use (`RunConfig.model`). */
export const MODELS = ['vgg5', 'vgg11', 'vgg13', 'vgg16', 'resnet20', 'resnet50', 'mobilenetv2'] as const;
/** One of MODELS. */
export type ModelName = (typeof MODELS)[number];

/**
 * Everything a training run needs: model, data, DynOPool, optimisation, seed and backend
 * (what `dynopool train` writes to config.json).
 */
export interface RunConfig {
  model: ModelName;
  width: number;
  dataset: string;
  dataDir?: string;
  transform?: ToyTransform;
  limit?: number;
  dynopool: boolean;
  /** weight of the GMACs loss, relative to the model's GMACs at initialisation */
  lambda: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  alphaLr: number;
  alphaMomentum: number;
  /** epochs during which alpha is not updated (the weights learn first) */
  alphaWarmup: number;
  /** elementwise clip of alpha's gradient (0: none) */
  alphaClip: number;
  /** alpha is projected into [alphaMin, alphaMax] after each step */
  alphaMin: number;
  alphaMax: number;
  cropPadding: number;
  flip: boolean;
  seed: number;
  /** 'reference', 'gpu' or 'wasm' (the WebAssembly SIMD kernels) */
  backend: string;
  /** gpu backend only: 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu' | 'auto' */
  gpuMode?: string;
  /** a non-finite loss: 'error' (default) stops the run, keeping the last good checkpoint; 'ignore' goes on */
  nanPolicy?: NanPolicy;
}

export const NAN_POLICIES = ['error', 'ignore'] as const;
export type NanPolicy = (typeof NAN_POLICIES)[number];

/** The defaults of every RunConfig field but model and dataset (the paper's protocol). */
export const DEFAULTS: Omit<RunConfig, 'model' | 'dataset'> = {
  width: 1,
  dynopool: false,
  lambda: 0,
  epochs: 10,
  batchSize: 64,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  alphaLr: 0.005,
  alphaMomentum: 0.9,
  alphaWarmup: 1,
  alphaClip: 2,
  alphaMin: 0.25,
  alphaMax: 16,
  cropPadding: 0,
  flip: false,
  seed: 0,
  backend: 'reference',
};

/**
 * Checks what the types cannot: alpha's projection interval [alphaMin, alphaMax] must be finite,
 * positive and non-empty, and alphaMin must keep each DynOPool layer within its maximum
 * upsampling of DYNO_MAX_SCALE (8x) per axis, so that a run cannot fail at that bound mid-way.
 */
export function checkAlphaRange(cfg: RunConfig): void {
  if (!(Number.isFinite(cfg.alphaMin) && cfg.alphaMin > 0))
    throw new Error(`config: alphaMin must be finite and positive, got ${cfg.alphaMin}`);
  if (!(Number.isFinite(cfg.alphaMax) && cfg.alphaMax >= cfg.alphaMin))
    throw new Error(`config: alphaMax must be finite and >= alphaMin = ${cfg.alphaMin}, got ${cfg.alphaMax}`);
  if (cfg.alphaMin < 1 / DYNO_MAX_SCALE) {
    throw new Error(
      `config: alphaMin = ${cfg.alphaMin} lets a DynOPool layer upsample ${+(1 / cfg.alphaMin).toPrecision(6)}x, beyond its maximum of ${DYNO_MAX_SCALE}x per axis (DYNO_MAX_SCALE); use alphaMin >= ${1 / DYNO_MAX_SCALE}`,
    );
  }
}

/** The model `cfg` names for images of shape [C, H, W] and `numClasses` classes. */
export function buildModel(
  cfg: RunConfig,
  shape: readonly [number, number, number],
  numClasses: number,
  opts: Pick<BackboneOptions, 'generator'>,
): ImageClassifier {
  const o: BackboneOptions = {
    numClasses,
    inChannels: shape[0],
    inputSize: [shape[1], shape[2]],
    width: cfg.width,
    dynopool: cfg.dynopool,
    generator: opts.generator,
  };
  if (cfg.model in VGG_CONFIGS) return vgg(cfg.model as VggName, o);
  switch (cfg.model) {
    case 'resnet20':
      return resnet20(o);
    case 'resnet50':
      return resnet50(o);
    case 'mobilenetv2':
      return mobilenetv2(o);
    default:
      throw new Error(`unknown model '${cfg.model}' (choose from ${MODELS.join(', ')})`);
  }
}

/** The largest --seed: epoch orders and augmentations derive integer seeds from it (src/data/dataset.ts). */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Checks a run configuration read from disk (config.json), field by field, and returns it typed.
 * `source` (the file) prefixes every message.
 */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg} (the file is damaged or was edited by hand)`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return fail('not a run configuration (expected a JSON object)');
  const c = raw as Record<string, unknown>;
  const show = (v: unknown) => (v === undefined ? 'undefined' : typeof v === 'number' ? String(v) : JSON.stringify(v));
  const oneOf = (key: string, values: readonly string[], optional = false) => {
    if (optional && c[key] === undefined) return;
    if (typeof c[key] === 'string' && values.includes(c[key] as string)) return;
    fail(
      c[key] === undefined
        ? `${key} is missing (one of ${values.join(', ')})`
        : `${key} ${show(c[key]).replace(/^"|"$/g, "'")} is not one of ${values.join(', ')}`,
    );
  };
  const number = (key: string, min: number, integer = false, max = Infinity, optional = false) => {
    const v = c[key];
    if (optional && v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      fail(
        `${key} must be ${integer ? 'an integer' : 'a number'} >= ${min}${max < Infinity ? ` and <= ${max}` : ''}, got ${show(v)}`,
      );
    }
  };
  oneOf('model', MODELS);
  oneOf('dataset', DATASETS);
  if (typeof c.width !== 'number' || !(c.width > 0 && c.width <= MAX_WIDTH))
    fail(`width must be a number in (0, ${MAX_WIDTH}], got ${show(c.width)}`);
  for (const key of ['epochs', 'batchSize']) number(key, 1, true);
  number('limit', 1, true, Infinity, true);
  for (const key of ['lambda', 'lr', 'momentum', 'weightDecay', 'alphaLr', 'alphaMomentum', 'alphaClip'])
    number(key, 0);
  for (const key of ['alphaWarmup', 'cropPadding']) number(key, 0, true);
  for (const key of ['alphaMin', 'alphaMax']) number(key, Number.MIN_VALUE);
  if ((c.alphaMin as number) > (c.alphaMax as number))
    fail(`alphaMin ${show(c.alphaMin)} is above alphaMax ${show(c.alphaMax)}`);
  number('seed', 0, true, MAX_SEED);
  for (const key of ['dynopool', 'flip'])
    if (typeof c[key] !== 'boolean') fail(`${key} must be true or false, got ${show(c[key])}`);
  oneOf('backend', ['reference', 'gpu', 'wasm']);
  oneOf('gpuMode', ['auto', ...GPU_MODES], true);
  oneOf('transform', TOY_TRANSFORMS, true);
  oneOf('nanPolicy', NAN_POLICIES, true);
  if (c.dataDir !== undefined && typeof c.dataDir !== 'string')
    fail(`dataDir must be a directory name, got ${show(c.dataDir)}`);
  return c as unknown as RunConfig;
}
