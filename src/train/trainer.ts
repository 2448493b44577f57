/**
 * Training into a run directory (Node): the loop of src/train/loop.ts with a store that writes
 * config.json, metrics.jsonl and checkpoint.safetensors atomically (a crash mid-write leaves the
 * previous file), under the directory's lock (src/train/lock.ts), with Ctrl-C able to interrupt a
 * step (src/train/interrupt.ts). `readRun` reads such a directory back.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { writeFileAtomic } from '../nn/checkpoint.js';
import { validateConfig, type RunConfig } from './config.js';
import { lockRun } from './lock.js';
import { trainInto, type EpochRecord, type RunStore, type TrainHooks, type TrainResult } from './loop.js';

export {
  createSession,
  evaluate,
  trainInto,
  type BatchInfo,
  type EpochRecord,
  type Interruption,
  type RunStore,
  type Session,
  type TrainHooks,
  type TrainResult,
} from './loop.js';

/** The paths of a run directory's three files. */
export interface RunFiles {
  dir: string;
  config: string;
  metrics: string;
  checkpoint: string;
}

/** The paths of the files in run directory `dir`. */
export function runFiles(dir: string): RunFiles {
  return {
    dir,
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.jsonl'),
    checkpoint: join(dir, 'checkpoint.safetensors'),
  };
}

/** A run directory as a RunStore: each file written atomically (temp file, fsync, rename). */
export function directoryStore(dir: string): RunStore {
  const files = runFiles(dir);
  return {
    where: dir,
    checkpointName: files.checkpoint,
    writeConfig: (json) => writeFileAtomic(files.config, json),
    writeMetrics: (jsonl) => writeFileAtomic(files.metrics, jsonl),
    writeCheckpoint: (bytes) => writeFileAtomic(files.checkpoint, bytes),
    readCheckpoint: () => (existsSync(files.checkpoint) ? readFileSync(files.checkpoint) : null),
  };
}

/**
 * Trains `cfg` into `dir` (config.json, metrics.jsonl, checkpoint.safetensors). With `resume`,
 * continues from the checkpoint there. Returns the history and whether it was stopped early.
 * Holds the directory's lock (src/train/lock.ts) while it runs: a second run there is refused.
 * A non-finite loss stops the run with an error (cfg.nanPolicy 'ignore': goes on); the last good
 * checkpoint stays.
 */
export async function train(
  cfg: RunConfig,
  dataset: Dataset,
  dir: string,
  hooks: TrainHooks = {},
  resume = false,
): Promise<TrainResult> {
  if (typeof dir !== 'string' || dir.trim() === '')
    throw new Error(`train: the run directory must be a non-empty path, got ${JSON.stringify(dir)}`);
  mkdirSync(dir, { recursive: true });
  const lock = lockRun(dir, resume ? 'train --resume' : 'train', hooks.onNotice);
  try {
    return await trainInto(cfg, dataset, directoryStore(dir), hooks, resume);
  } finally {
    lock.release();
  }
}

/** Reads a run directory written by `train` (or downloaded from the browser lab). */
export function readRun(dir: string): { cfg: RunConfig; history: EpochRecord[] } {
  const files = runFiles(dir);
  if (!existsSync(files.config)) throw new Error(`${dir} is not a dynopool run directory (no config.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(files.config, 'utf8'));
  } catch (e) {
    throw new Error(`${files.config}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const cfg = validateConfig(raw, files.config);
  const history = existsSync(files.metrics)
    ? readFileSync(files.metrics, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l, i) => {
          try {
            return JSON.parse(l) as EpochRecord;
          } catch {
            throw new Error(`${files.metrics}: line ${i + 1} is not valid JSON`);
          }
        })
    : [];
  return { cfg, history };
}
