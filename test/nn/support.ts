import { Generator, tensor, vgg, type ImageClassifier } from '../../src/index.js';
import { valuesFor } from '../../src/testing/index.js';

/** A tiny VGG: 1 input channel, blocks [2], [3], [3] at 8x8 -> 4x4 -> 2x2 (at alpha = 2). */
export function tinyVgg(dynopool: boolean, dtype: 'float32' | 'float64' = 'float64', seed = 1): ImageClassifier {
  return vgg(
    'vgg11',
    { inChannels: 1, numClasses: 3, inputSize: [8, 8], dynopool, dtype, generator: new Generator(seed) },
    [[2], [3], [3]],
  );
}

export const tinyBatch = (dtype: 'float32' | 'float64' = 'float64', seed = 3, n = 3) => ({
  x: tensor(valuesFor([n, 1, 8, 8], seed), { shape: [n, 1, 8, 8], dtype }),
  labels: Array.from({ length: n }, (_, i) => (i + seed) % 3),
});
