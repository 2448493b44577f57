/** Dataset names the CLI accepts. */
import { DATASETS, type Dataset } from './dataset.js';
import { cifar, fashionMnist, mnist } from './real.js';
import { barcodes, rings } from './synthetic.js';
import { applyToyTransform, type ToyTransform } from './transforms.js';

export { DATASETS };

/** Which dataset `loadDataset` makes, and how. */
export interface DatasetSpec {
  name: string;
  /** For cifar10 / cifar100: the directory with the binary files. */
  dataDir?: string;
  transform?: ToyTransform;
  /** Use at most this many training images (a fixed subset). */
  limit?: number;
  seed?: number;
}

/** The dataset `spec` names, with its transform applied (Node: reads the npm packages' files). */
export function loadDataset(spec: DatasetSpec): Dataset {
  let ds: Dataset;
  switch (spec.name) {
    case 'barcodes':
      ds = barcodes({ train: spec.limit });
      break;
    case 'rings':
      ds = rings({ train: spec.limit });
      break;
    case 'mnist':
      ds = mnist(spec.limit);
      break;
    case 'fashion-mnist':
      ds = fashionMnist(spec.limit);
      break;
    case 'cifar10':
    case 'cifar100':
      if (!spec.dataDir)
        throw new Error(`${spec.name}: needs --data-dir, the directory with the official binary files`);
      ds = cifar(spec.name, spec.dataDir);
      if (spec.limit) ds = { ...ds, train: { ...ds.train, count: Math.min(spec.limit, ds.train.count) } };
      break;
    default:
      throw new Error(`unknown dataset '${spec.name}' (choose from ${DATASETS.join(', ')})`);
  }
  return spec.transform ? applyToyTransform(ds, spec.transform, spec.seed ?? 0) : ds;
}
