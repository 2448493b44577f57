export { Module, Sequential, featureMap, type FeatureMap } from './module.js';
export {
  Conv2d,
  BatchNorm2d,
  Linear,
  ReLU,
  Dropout,
  MaxPool2d,
  AvgPool2d,
  GlobalAvgPool2d,
  Flatten,
  isCosted,
  gmacsTerm,
  type CostedLayer,
  type LayerOptions,
  type Conv2dOptions as Conv2dLayerOptions,
  type BatchNorm2dOptions as BatchNorm2dLayerOptions,
} from './layers.js';
export { DynOPool, type DynOPoolOptions, type SizeRule } from './dynopool.js';
export { kaimingNormal, uniform, type InitOptions } from './init.js';
export {
  countMacs,
  recordComplexityBaseline,
  gmacsLoss,
  dynoPoolStates,
  featureMapSizes,
  type Model,
  type MacCount,
  type LayerCount,
  type DynOPoolState,
} from './complexity.js';
export { ImageClassifier, ReLU6, scaled, type BackboneOptions, type ClassifierOutput } from './models/common.js';
export { vgg, vgg11, vgg16, VGG_CONFIGS, type VggName } from './models/vgg.js';
export { resnet20, resnet50 } from './models/resnet.js';
export { mobilenetv2 } from './models/mobilenetv2.js';
export {
  Optimizer,
  SGD,
  Adam,
  AdamW,
  type ParamGroup,
  type ParamGroupSpec,
  type OptimizerState,
  type SGDOptions,
  type AdamOptions,
} from './optim/optimizer.js';
export { LRScheduler, scheduleFactor, type ScheduleSpec } from './optim/schedule.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  encodeCheckpoint,
  decodeCheckpoint,
  type TrainingState,
} from './safetensors.js';
