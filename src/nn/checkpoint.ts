/**
 * Checkpoints and safetensors files on disk (Node). The format lives in src/nn/safetensors.ts;
 * this file adds the file system: writes go to a temporary file in the same directory, are
 * flushed to disk, then renamed over the target, so a crash mid-write leaves the previous
 * checkpoint intact. Reads refuse a truncated or malformed file with a message naming it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import {
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  encodeSafetensors,
  type TrainingState,
} from './safetensors.js';

/** Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    const dir = dirname(resolve(path));
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir))
      throw new Error(`cannot write ${path}: the directory ${dir} does not exist (create it first)`, { cause: e });
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new Error(`cannot write ${path}: ${dir} is not a directory`, { cause: e });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Writes named tensors as a safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads a safetensors file. */
export function loadSafetensors(path: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  return decodeSafetensors(readFileSync(path), path);
}

/** Saves model, optimizer, schedule, RNG state and epoch to one safetensors file, atomically. */
export function saveCheckpoint(path: string, s: TrainingState): void {
  writeFileAtomic(path, encodeCheckpoint(s));
}

/** Restores what `saveCheckpoint` wrote into the given objects; returns epoch and extra. */
export function loadCheckpoint(
  path: string,
  s: Omit<TrainingState, 'epoch' | 'extra'>,
): { epoch: number; extra: unknown } {
  return decodeCheckpoint(readFileSync(path), s, path);
}
