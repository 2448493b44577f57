export { type Dataset, type Split, makeSplit, gather, epochOrder, channelStats, toTensor } from './dataset.js';
export { barcodes, rings, type SyntheticOptions } from './synthetic.js';
export { mnist, fashionMnist, cifar, FASHION_CLASSES } from './real.js';
export {
  applyToyTransform,
  TOY_TRANSFORMS,
  augmentBatch,
  normalize,
  resize,
  type ToyTransform,
  type Augment,
} from './transforms.js';
export { loadDataset, DATASETS, type DatasetSpec } from './registry.js';
