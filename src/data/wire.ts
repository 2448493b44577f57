/**
 * A dataset as one binary message: how `dynopool lab` hands the page the very dataset Node's
 * `loadDataset` makes (same images, same split, same transform), so a run in the browser starts
 * from the data a Node run would.
 *
 *   bytes 0-3    "DPDS"
 *   bytes 4-7    header length L (uint32, little-endian)
 *   bytes 8..    UTF-8 JSON header {name, shape [C, H, W], numClasses, classNames?, train, test}
 *                (train and test: image counts), padded with spaces to a multiple of 4 bytes
 *   then         train images (float32, count x C x H x W), train labels (int32, count),
 *                test images, test labels; little-endian
 *
 * `decodeDataset` checks the magic, the header and the exact length, and refuses anything else
 * with a message naming the problem.
 */
import { makeSplit, type Dataset, type Split } from './dataset.js';

const MAGIC = 'DPDS';

interface Header {
  name: string;
  shape: [number, number, number];
  numClasses: number;
  classNames?: string[];
  train: number;
  test: number;
}

/** The bytes of `ds` in the format above. */
export function encodeDataset(ds: Dataset): Uint8Array {
  const header: Header = {
    name: ds.name,
    shape: [...ds.shape],
    numClasses: ds.numClasses,
    ...(ds.classNames ? { classNames: [...ds.classNames] } : {}),
    train: ds.train.count,
    test: ds.test.count,
  };
  let json = JSON.stringify(header);
  const utf8 = new TextEncoder();
  json += ' '.repeat((4 - (utf8.encode(json).length % 4)) % 4);
  const head = utf8.encode(json);
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const size = (s: Split) => s.count * per * 4 + s.count * 4;
  const out = new Uint8Array(8 + head.length + size(ds.train) + size(ds.test));
  out.set(utf8.encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const s of [ds.train, ds.test]) {
    const images = new Float32Array(out.buffer, at, s.count * per);
    images.set(s.images.subarray(0, s.count * per));
    at += s.count * per * 4;
    new Int32Array(out.buffer, at, s.count).set(s.labels.subarray(0, s.count));
    at += s.count * 4;
  }
  return out;
}

/** The dataset in `bytes` (see the file comment); `source` names them in errors. */
export function decodeDataset(bytes: Uint8Array, source = 'dataset'): Dataset {
  const fail = (msg: string): never => {
    throw new Error(`decodeDataset: ${source}: ${msg}`);
  };
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC)
    fail(`not a dynopool dataset (no "${MAGIC}" magic; ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(4, true);
  if (headLen % 4 !== 0 || 8 + headLen > bytes.length)
    fail(`header length ${headLen} does not fit ${bytes.length} bytes`);
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen))) as Header;
  } catch (e) {
    return fail(`the header is not JSON (${(e as Error).message})`);
  }
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (
    !Array.isArray(h.shape) ||
    h.shape.length !== 3 ||
    !h.shape.every((d) => Number.isInteger(d) && d > 0) ||
    !count(h.train) ||
    !count(h.test) ||
    !(Number.isInteger(h.numClasses) && h.numClasses > 0)
  )
    fail(`bad header ${JSON.stringify(h).slice(0, 120)}`);
  const per = h.shape[0] * h.shape[1] * h.shape[2];
  const expected = 8 + headLen + (h.train + h.test) * (per + 1) * 4;
  if (bytes.length !== expected)
    fail(`${bytes.length} bytes, expected ${expected} for ${h.train} + ${h.test} images of [${h.shape.join(', ')}]`);
  // one copy out of `bytes` (its offset need not be 4-byte aligned); the splits are views of it
  // (every offset below is a multiple of 4)
  const body = bytes.slice(8 + headLen);
  let at = 0;
  const split = (n: number, who: string): Split => {
    const images = new Float32Array(body.buffer, at, n * per);
    at += n * per * 4;
    const labels = new Int32Array(body.buffer, at, n);
    at += n * 4;
    const bad = labels.findIndex((l) => l < 0 || l >= h.numClasses);
    if (bad >= 0) fail(`${who} label ${bad} is ${labels[bad]}, outside [0, ${h.numClasses})`);
    return makeSplit(images, labels, h.shape, `${source} (${who})`);
  };
  const train = split(h.train, 'train');
  const test = split(h.test, 'test');
  return {
    name: h.name,
    shape: h.shape,
    numClasses: h.numClasses,
    ...(h.classNames ? { classNames: h.classNames } : {}),
    train,
    test,
  };
}
