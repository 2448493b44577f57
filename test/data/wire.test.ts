/** The dataset wire format (src/data/wire.ts): a round trip is exact; damaged bytes are refused by name. */
import { describe, expect, it } from 'vitest';
import { barcodes } from '../../src/data/synthetic.js';
import { decodeDataset, encodeDataset } from '../../src/data/wire.js';

const ds = barcodes({ train: 40, test: 12 });

describe('dataset wire format', () => {
  it('round-trips a dataset exactly (images, labels, shape, classes)', () => {
    const back = decodeDataset(encodeDataset(ds));
    expect(back.name).toBe(ds.name);
    expect(back.shape).toEqual(ds.shape);
    expect(back.numClasses).toBe(ds.numClasses);
    for (const split of ['train', 'test'] as const) {
      expect(back[split].count).toBe(ds[split].count);
      expect(back[split].images).toEqual(ds[split].images);
      expect(back[split].labels).toEqual(ds[split].labels);
    }
  });

  it('reads from an unaligned offset (a view into a larger buffer)', () => {
    const bytes = encodeDataset(ds);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeDataset(shifted.subarray(3)).train.images).toEqual(ds.train.images);
  });

  it('encodes only `count` images of a split limited by count', () => {
    const limited = { ...ds, train: { ...ds.train, count: 10 } };
    expect(decodeDataset(encodeDataset(limited)).train.images).toEqual(ds.train.images.subarray(0, 10 * 24 * 24));
  });

  const bytes = encodeDataset(ds);
  const damaged: [string, Uint8Array, RegExp][] = [
    [
      'no magic',
      new TextEncoder().encode('not a dataset'),
      /decodeDataset: d: not a dynopool dataset \(no "DPDS" magic; 13 bytes\)/,
    ],
    [
      'truncated',
      bytes.subarray(0, bytes.length - 4),
      /decodeDataset: d: \d+ bytes, expected \d+ for 40 \+ 12 images of \[1, 24, 24\]/,
    ],
    ['one byte appended', Uint8Array.from([...bytes, 0]), /bytes, expected/],
    [
      'a label out of range',
      (() => {
        const b = bytes.slice();
        const headLen = new DataView(b.buffer).getUint32(4, true);
        new DataView(b.buffer).setInt32(8 + headLen + 40 * 576 * 4, 99, true); // train label 0
        return b;
      })(),
      /decodeDataset: d: train label 0 is 99, outside \[0, 8\)/,
    ],
    [
      'a header that is not JSON',
      (() => {
        const b = bytes.slice();
        b[8] = 0x7b + 1; // '{' -> '|'
        return b;
      })(),
      /decodeDataset: d: the header is not JSON/,
    ],
  ];
  for (const [what, b, error] of damaged)
    it(`refuses ${what}`, () => expect(() => decodeDataset(b, 'd')).toThrow(error));
});
