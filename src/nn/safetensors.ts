/**
 * The safetensors format, in memory: an 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets}, __metadata__: {string: string}}, then the raw
 * little-endian tensor bytes. The weights open in Python with `safetensors.torch.load_file`.
 * A dynopool checkpoint is one such file: the model's state dict, the optimizer's buffers, and
 * the rest (optimizer and schedule state, RNG, epoch, extra) as JSON metadata.
 *
 * Decoding validates the header, every offset and the length, and refuses a truncated or
 * malformed file with a message naming the source and the problem. Nothing here touches a file
 * system: src/nn/checkpoint.ts reads and writes files (Node), the browser lab downloads bytes.
 */
import { fromTypedArray } from '../tensor/creation.js';
import type { DType } from '../tensor/dtype.js';
import type { Generator } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AnyModule } from './module.js';
import type { Optimizer, OptimizerState } from './optim/optimizer.js';
import type { LRScheduler } from './optim/schedule.js';

const DTYPE_CODE: Record<DType, string> = { float32: 'F32', float64: 'F64' };
const CODE_DTYPE: Record<string, DType> = { F32: 'float32', F64: 'float64' };
const BYTES: Record<DType, number> = { float32: 4, float64: 8 };
const MAX_HEADER = 100 * 1024 * 1024;

/** Serialises named tensors (and string metadata) in the safetensors format (readable by Python's `safetensors`). */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if ('__metadata__' in tensors)
    throw new Error(
      "safetensors: cannot write a tensor named '__metadata__' (the name is reserved for the header's metadata); rename it",
    );
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const entries = Object.entries(tensors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of entries) {
    const n = t.size * BYTES[t.dtype];
    header[name] = { dtype: DTYPE_CODE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const utf8 = new TextEncoder();
  json += ' '.repeat((8 - ((8 + utf8.encode(json).length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = utf8.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const values = t.data();
    for (let i = 0; i < values.length; i++) {
      if (t.dtype === 'float64') view.setFloat64(at + 8 * i, values[i], true);
      else view.setFloat32(at + 4 * i, values[i], true);
    }
    at += values.length * BYTES[t.dtype];
  }
  return out;
}

/** Parses safetensors bytes into tensors and the metadata strings. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'buffer',
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new Error(`safetensors: ${source}: ${msg}`);
  };
  if (bytes.length < 8)
    fail(`truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} is implausible (corrupt file?)`);
  if (8 + headerLen > bytes.length)
    fail(`truncated: the header needs ${headerLen} bytes, only ${bytes.length - 8} follow`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  const spans: { name: string; b: number; f: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((v) => typeof v !== 'string'))
        fail('__metadata__ must map strings to strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = CODE_DTYPE[String(e?.dtype)];
    if (!dtype) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)} (dynopool reads F32 and F64)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isInteger(o) && o >= 0) ||
      offs[1] < offs[0]
    ) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, f] = offs as [number, number];
    const expected = sizeOf(shape) * BYTES[dtype];
    if (f - b !== expected)
      fail(`tensor '${name}' ${dtype} [${shape.join(', ')}] needs ${expected} bytes, its data_offsets span ${f - b}`);
    if (f > dataLen)
      fail(`truncated: tensor '${name}' ends at byte ${f} of the data, but only ${dataLen} bytes of data are present`);
    spans.push({ name, b, f });
    const values = dtype === 'float64' ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) {
      values[i] =
        dtype === 'float64'
          ? view.getFloat64(dataStart + b + 8 * i, true)
          : view.getFloat32(dataStart + b + 4 * i, true);
    }
    tensors[name] = fromTypedArray(values, shape);
  }
  // the tensors must tile the data exactly: no overlaps (two tensors sharing bytes), no gaps
  spans.sort((x, y) => x.b - y.b || x.f - y.f);
  let end = 0;
  let prev: (typeof spans)[number] | undefined;
  for (const sp of spans) {
    if (sp.b < end && prev)
      fail(
        `tensor '${sp.name}' data_offsets [${sp.b}, ${sp.f}] overlap tensor '${prev.name}' [${prev.b}, ${prev.f}] (corrupt header)`,
      );
    if (sp.b > end)
      fail(
        prev
          ? `${sp.b - end} unused bytes between tensor '${prev.name}' (ends at ${end}) and tensor '${sp.name}' (starts at ${sp.b}) (corrupt header)`
          : `${sp.b} unused bytes before tensor '${sp.name}' (the first tensor must start at offset 0; corrupt header)`,
      );
    end = sp.f;
    prev = sp;
  }
  if (end !== dataLen) fail(`${dataLen - end} bytes after the last tensor (the file is corrupt or was appended to)`);
  return { tensors, metadata };
}

/** What a checkpoint holds: the model and, optionally, the optimizer, scheduler, generator, epoch and extra state. */
export interface TrainingState {
  model: AnyModule;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  generator?: Generator;
  epoch?: number;
  /** Anything JSON-serialisable (run config, history). */
  extra?: unknown;
}

const FORMAT = 'dynopool-checkpoint-v1';

/** Model, optimizer, schedule, RNG state and epoch as the bytes of one safetensors file. */
export function encodeCheckpoint(s: TrainingState): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(s.model.stateDict())) tensors[`model.${k}`] = t;
  const metadata: Record<string, string> = { format: FORMAT, epoch: String(s.epoch ?? 0) };
  if (s.optimizer) {
    const { buffers, ...rest } = s.optimizer.stateDict();
    for (const [k, t] of Object.entries(buffers)) tensors[`optimizer.${k}`] = t;
    metadata.optimizer = JSON.stringify(rest);
  }
  if (s.scheduler) metadata.scheduler = JSON.stringify(s.scheduler.stateDict());
  if (s.generator) metadata.rng = JSON.stringify(s.generator.getState().map((v) => (Number.isNaN(v) ? null : v)));
  if (s.extra !== undefined) metadata.extra = JSON.stringify(s.extra);
  return encodeSafetensors(tensors, metadata);
}

/**
 * Restores what `encodeCheckpoint` wrote into the given objects; returns epoch and extra.
 * `path` names the bytes' source in error messages.
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  s: Omit<TrainingState, 'epoch' | 'extra'>,
  path = 'checkpoint',
): { epoch: number; extra: unknown } {
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  if (metadata.format !== FORMAT)
    throw new Error(`loadCheckpoint: ${path} is not a dynopool checkpoint (format ${JSON.stringify(metadata.format)})`);
  const damaged = (msg: string): never => {
    throw new Error(`loadCheckpoint: ${path}: damaged metadata: ${msg}`);
  };
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch (e) {
      return damaged(`${key} is not valid JSON (${(e as Error).message})`);
    }
  };
  if (metadata.epoch === undefined) damaged('epoch is missing');
  if (!/^(0|[1-9][0-9]{0,14})$/.test(metadata.epoch))
    damaged(`epoch ${JSON.stringify(metadata.epoch)} is not a non-negative integer`);
  const extra = metadata.extra !== undefined ? json('extra') : undefined;
  const optimizer = s.optimizer && metadata.optimizer !== undefined ? json('optimizer') : undefined;
  const scheduler = s.scheduler && metadata.scheduler !== undefined ? json('scheduler') : undefined;
  const rng = s.generator && metadata.rng !== undefined ? json('rng') : undefined;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (optimizer !== undefined && (!isObject(optimizer) || !Array.isArray((optimizer as { groups?: unknown }).groups)))
    damaged(`optimizer ${metadata.optimizer.slice(0, 80)} is not an optimizer state ({groups, steps})`);
  if (scheduler !== undefined && !isObject(scheduler))
    damaged(`scheduler ${metadata.scheduler.slice(0, 80)} is not a schedule state ({t})`);
  if (rng !== undefined && (!Array.isArray(rng) || !rng.every((v) => v === null || typeof v === 'number')))
    damaged(`rng ${metadata.rng} is not an array of numbers`);
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, t]) => [k.slice(prefix.length), t]),
    );
  try {
    s.model.loadStateDict(pick('model.'));
    if (s.optimizer) {
      if (!metadata.optimizer) throw new Error('it has no optimizer state');
      s.optimizer.loadStateDict({ ...(optimizer as Omit<OptimizerState, 'buffers'>), buffers: pick('optimizer.') });
    }
    if (s.scheduler) {
      if (!metadata.scheduler) throw new Error('it has no scheduler state');
      s.scheduler.loadStateDict(scheduler as never);
    }
    if (s.generator && rng !== undefined) s.generator.setState((rng as (number | null)[]).map((v) => v ?? NaN));
  } catch (e) {
    throw new Error(`loadCheckpoint: ${path}: ${(e as Error).message}`, { cause: e });
  }
  return { epoch: Number(metadata.epoch), extra };
}
