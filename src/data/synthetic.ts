/**
 * Built-in synthetic datasets, generated from a seed (no files, no downloads).
 *
 * barcodes: the label lives only along the width. Each class is a pattern of vertical bars
 *   with its own horizontal frequency (random phase and contrast); every row repeats it, then
 *   independent pixel noise is added. Vertical resolution carries no
 *   information and averaging rows removes noise, so the best receptive field is wide and
 *   short: a DynOPool network should keep its width and shrink its height (paper section 3.1).
 * rings: the isotropic control. Each class is a radial frequency: concentric rings around a
 *   random centre, plus noise; no direction is special, so learned sizes should stay square.
 */
import { Generator } from '../tensor/random.js';
import { makeSplit, type Dataset } from './dataset.js';

/** Options of the synthetic datasets: image size, classes, train and test counts, noise level, seed. */
export interface SyntheticOptions {
  size?: number;
  classes?: number;
  train?: number;
  test?: number;
  noise?: number;
  seed?: number;
}

function generate(
  name: string,
  opts: SyntheticOptions,
  defaults: Required<SyntheticOptions>,
  draw: (g: Generator, label: number, out: Float32Array, size: number) => void,
): Dataset {
  const o = { ...defaults, ...opts };
  const g = new Generator(o.seed);
  const make = (n: number) => {
    const images = new Float32Array(n * o.size * o.size);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % o.classes;
      const img = images.subarray(i * o.size * o.size, (i + 1) * o.size * o.size);
      draw(g, labels[i], img, o.size);
      for (let p = 0; p < img.length; p++) img[p] += o.noise * g.normal();
    }
    return makeSplit(images, labels, [1, o.size, o.size], name);
  };
  return { name, shape: [1, o.size, o.size], numClasses: o.classes, train: make(o.train), test: make(o.test) };
}

/** The barcodes dataset: the label lives only along the width (see the file comment). */
export function barcodes(opts: SyntheticOptions = {}): Dataset {
  const defaults = { size: 24, classes: 8, train: 2048, test: 512, noise: 0.8, seed: 1 };
  const { classes } = { ...defaults, ...opts };
  return generate('barcodes', opts, defaults, (g, label, img, size) => {
    // class k: vertical bars with horizontal frequency f_k (cycles per pixel), random phase;
    // the highest classes approach the Nyquist limit, so they need full horizontal resolution
    const f = 0.06 + (0.36 * label) / Math.max(1, classes - 1);
    const phase = g.uniform() * 2 * Math.PI;
    const gain = 0.8 + 0.4 * g.uniform();
    for (let c = 0; c < size; c++) {
      const v = gain * Math.cos(2 * Math.PI * f * c + phase);
      for (let r = 0; r < size; r++) img[r * size + c] = v;
    }
  });
}

/** The rings dataset: the isotropic control (see the file comment). */
export function rings(opts: SyntheticOptions = {}): Dataset {
  const defaults = { size: 24, classes: 8, train: 2048, test: 512, noise: 0.6, seed: 2 };
  return generate('rings', opts, defaults, (g, label, img, size) => {
    const freq = 0.25 + (label * 0.9) / defaults.classes;
    const cy = size / 2 + (g.uniform() - 0.5) * 6,
      cx = size / 2 + (g.uniform() - 0.5) * 6;
    const phase = g.uniform() * 2 * Math.PI;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) img[r * size + c] = Math.cos(freq * Math.hypot(r - cy, c - cx) + phase);
    }
  });
}
