/** A training run's configuration: every knob, with the defaults of the paper's protocol. */
import type { ToyTransform } from '../data/transforms.js';
import type { BackboneOptions } from '../nn/models/common.js';
import { mobilenetv2 } from '../nn/models/mobilenetv2.js';
import { resnet20, resnet50 } from '../nn/models/resnet.js';
import { vgg, VGG_CONFIGS, type VggName } from '../nn/models/vgg.js';
import type { ImageClassifier } from '../nn/models/common.js';
import { DYNO_MAX_SCALE } from '../ops/dynopool/dynopool.js';

export const MODELS = ['vgg5', 'vgg11', 'vgg13', 'vgg16', 'resnet20', 'resnet50', 'mobilenetv2'] as const;
export type ModelName = (typeof MODELS)[number];

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
  /** 'reference' or 'gpu' */
  backend: string;
  /** gpu backend only: 'headlessgl' | 'webasm' | 'cpu' | 'auto' */
  gpuMode?: string;
}

export const DEFAULTS: Omit<RunConfig, 'model' | 'dataset'> = {
  width: 1, dynopool: false, lambda: 0, epochs: 10, batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 5e-4,
  alphaLr: 0.005, alphaMomentum: 0.9, alphaWarmup: 1, alphaClip: 2, alphaMin: 0.25, alphaMax: 16,
  cropPadding: 0, flip: false, seed: 0, backend: 'reference',
};

/**
 * Checks what the types cannot: alpha's projection interval [alphaMin, alphaMax] must be finite,
 * positive and non-empty, and alphaMin must keep each DynOPool layer within its maximum
 * upsampling of DYNO_MAX_SCALE (8x) per axis, so that a run cannot fail at that bound mid-way.
 */
export function validateConfig(cfg: RunConfig): void {
  if (!(Number.isFinite(cfg.alphaMin) && cfg.alphaMin > 0)) throw new Error(`config: alphaMin must be finite and positive, got ${cfg.alphaMin}`);
  if (!(Number.isFinite(cfg.alphaMax) && cfg.alphaMax >= cfg.alphaMin)) throw new Error(`config: alphaMax must be finite and >= alphaMin = ${cfg.alphaMin}, got ${cfg.alphaMax}`);
  if (cfg.alphaMin < 1 / DYNO_MAX_SCALE) {
    throw new Error(`config: alphaMin = ${cfg.alphaMin} lets a DynOPool layer upsample ${+(1 / cfg.alphaMin).toPrecision(6)}x, beyond its maximum of ${DYNO_MAX_SCALE}x per axis (DYNO_MAX_SCALE); use alphaMin >= ${1 / DYNO_MAX_SCALE}`);
  }
}

export function buildModel(cfg: RunConfig, shape: readonly [number, number, number], numClasses: number, opts: Pick<BackboneOptions, 'generator'>): ImageClassifier {
  const o: BackboneOptions = { numClasses, inChannels: shape[0], inputSize: [shape[1], shape[2]], width: cfg.width, dynopool: cfg.dynopool, generator: opts.generator };
  if (cfg.model in VGG_CONFIGS) return vgg(cfg.model as VggName, o);
  switch (cfg.model) {
    case 'resnet20': return resnet20(o);
    case 'resnet50': return resnet50(o);
    case 'mobilenetv2': return mobilenetv2(o);
    default: throw new Error(`unknown model '${cfg.model}' (choose from ${MODELS.join(', ')})`);
  }
}
