/**
 * The wasm backend's runtime: the compiled kernels (kernels.wasm, built from wasm/kernels.ts by
 * `npm run build:wasm`), the one shared linear memory they work in, and a second thread.
 *
 * Memory. One `WebAssembly.Memory({ shared: true })` holds, from its heap base up:
 *
 *     | control block (doorbell) | geometry record | scratch, thread 0 | scratch, thread 1 | arena ...
 *
 * A kernel call resets the arena, copies its operands in (`put`), allocates its output
 * (`alloc`), runs, and copies the output out (`take`): storages stay plain host Float32Arrays,
 * so the reference kernels read them directly and nothing in wasm memory outlives a call. The
 * memory grows when a call needs more, and never shrinks.
 *
 * Threads. A `worker_threads` worker instantiates the same module over the same memory and
 * sleeps in `Atomics.wait` on the doorbell. `split` rings it with one share of a kernel (an
 * entry point and its arguments, written into the control block), computes the other share on
 * the calling thread, then blocks in `Atomics.wait` until the worker reports done: the engine's
 * API stays synchronous. Small kernels (below `minParallelFlops`) and calls made before the
 * worker has started run on the calling thread alone. DYNOPOOL_WASM_THREADS=1 turns the worker
 * off. Node only (browsers forbid Atomics.wait on the main thread).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The part of the WebAssembly JS API this runtime uses (the project's lib, ES2023 without DOM,
 * does not declare it; Node has it as a global).
 */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
};

/** The kernels' entry points, in the order the control block numbers them. */
export const ENTRY = [
  'matmul',
  'conv2d',
  'conv2dGradInput',
  'conv2dGradWeight',
  'packConvWeights',
  'binary',
  'unary',
  'where',
  'batchNormStats',
  'batchNormApply',
  'batchNormBackward',
  'maxPool2d',
  'maxPool2dGrad',
  'dynoSample',
  'dynoSampleBackward',
  'sgdUpdate',
] as const;
export type Entry = (typeof ENTRY)[number];

interface KernelExports {
  scratchBytes(): number;
  heapBase(): number;
  tileMR(): number;
  tileNR(): number;
}

const PAGE = 65536;
/** control block, in i32 slots: sequence number, done number, ready flag, error flag, call */
const SEQ = 0,
  DONE = 1,
  READY = 2,
  FAILED = 3,
  FN = 4,
  NARGS = 5,
  ARGS = 6;
const CONTROL_BYTES = 256;
const GEOMETRY_BYTES = 64;

/** The worker: instantiate, report ready, then run one share per doorbell ring. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, entries } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = entries.map((name) => exports[name]);
const c = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
Atomics.store(c, ${READY}, 1);
let seen = Atomics.load(c, ${SEQ});
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  const args = [];
  for (let i = 0; i < c[${NARGS}]; i++) args.push(c[${ARGS} + i]);
  try {
    fns[c[${FN}]](...args);
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

const WASM_FILE = new URL('./kernels.wasm', import.meta.url);

/** How the wasm backend's runtime runs its kernels. */
export interface WasmRuntimeOptions {
  /** 1 or 2 (default: 2 unless DYNOPOOL_WASM_THREADS=1 or the machine has one core) */
  threads?: number;
  /** kernels with fewer floating-point operations run on one thread (default 4e6) */
  minParallelFlops?: number;
  /**
   * convolutions (forward, input gradient) with fewer output pixels per image than this run as
   * one GEMM over the whole batch rather than one per image (default 16: 2x2 or smaller, say)
   */
  batchPixels?: number;
}

/**
 * The compiled kernels (wasm/kernels.ts) in one shared WebAssembly memory: a scratch area per
 * thread for the packed GEMM panels, an arena for each call's inputs and outputs, and one worker
 * thread that takes a share of the large calls while the main thread waits in `Atomics.wait`.
 */
export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly threads: number;
  minParallelFlops: number;
  /** See WasmRuntimeOptions.batchPixels. */
  batchPixels: number;
  /** Per thread: the byte address of its scratch area. */
  readonly scratch: readonly number[];
  /** The tile sizes of the GEMM micro-kernel (rows, columns). */
  readonly MR: number;
  readonly NR: number;
  private readonly fns: ((...args: number[]) => void)[];
  private readonly control: number;
  private readonly geometryAt: number;
  private readonly arenaBase: number;
  private top: number;
  private worker: Worker | null = null;
  private readyPromise: Promise<void> = Promise.resolve();

  private constructor(module: WasmModule, opts: WasmRuntimeOptions) {
    this.memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    const ex = instance.exports as unknown as KernelExports & Record<Entry, (...args: number[]) => void>;
    this.fns = ENTRY.map((name) => ex[name]);
    this.MR = ex.tileMR();
    this.NR = ex.tileNR();
    this.control = align(ex.heapBase(), 64);
    this.geometryAt = this.control + CONTROL_BYTES;
    const scratchBytes = align(ex.scratchBytes(), 64);
    const first = this.geometryAt + GEOMETRY_BYTES;
    this.threads = opts.threads ?? defaultThreads();
    this.scratch = Array.from({ length: this.threads }, (_, t) => first + t * scratchBytes);
    this.arenaBase = first + this.threads * scratchBytes;
    this.top = this.arenaBase;
    this.ensure(this.arenaBase);
    this.minParallelFlops = opts.minParallelFlops ?? 4e6;
    this.batchPixels = opts.batchPixels ?? 16;
    if (this.threads > 1) this.startWorker(module);
  }

  /** Loads kernels.wasm (from next to this module: src/ or dist/) and starts the worker. */
  static load(opts: WasmRuntimeOptions = {}): WasmRuntime {
    const path = fileURLToPath(WASM_FILE);
    if (!existsSync(path)) {
      throw new Error(
        `dynopool wasm backend: ${path} is missing; run npm run build:wasm (it compiles wasm/kernels.ts with AssemblyScript)`,
      );
    }
    return new WasmRuntime(new WebAssembly.Module(readFileSync(path)), opts);
  }

  /** Resolves once the worker runs (kernels called before then use one thread). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Whether the second thread is up and takes shares of big kernels. */
  get parallel(): boolean {
    return this.worker !== null && Atomics.load(this.i32(this.control, CONTROL_BYTES / 4), READY) === 1;
  }

  // ---- the arena --------------------------------------------------------------------------

  /** Frees everything a previous call allocated. */
  reset(): void {
    this.top = this.arenaBase;
  }

  /** A fresh, 64-byte aligned region of `floats` float32 values (uninitialised). */
  alloc(floats: number): number {
    const at = this.top;
    this.top = align(at + floats * 4, 64);
    this.ensure(this.top);
    return at;
  }

  /** Copies `values` into a fresh region; returns its address. */
  put(values: ArrayLike<number>): number {
    const at = this.alloc(values.length);
    const view = this.f32(at, values.length);
    if (values instanceof Float32Array) view.set(values);
    else for (let i = 0; i < values.length; i++) view[i] = values[i];
    return at;
  }

  /** A host copy of `floats` values at `at`. */
  take(at: number, floats: number): Float32Array {
    return this.f32(at, floats).slice();
  }

  /**
   * A fresh host array of `floats` zeros with every memory page already touched: a large new
   * array's first writes fault its pages in (about 2 us a page, several times the copy itself),
   * so a kernel that waits for the worker can take them here first, then `copyOut` into it.
   */
  fresh(floats: number): Float32Array {
    const out = new Float32Array(floats);
    for (let i = 0; i < floats; i += 1024) out[i] = 0;
    return out;
  }

  /** Copies `out.length` values at `at` into `out` (from `fresh`); returns it. */
  copyOut(at: number, out: Float32Array): Float32Array {
    out.set(this.f32(at, out.length));
    return out;
  }

  /** Writes a record of up to 16 integers (a convolution geometry); returns its address. */
  record(values: readonly number[]): number {
    this.i32(this.geometryAt, 16).set(values);
    return this.geometryAt;
  }

  /** A float32 view of `n` values at byte address `at` of the shared memory (no copy). */
  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }

  private i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  // ---- running ----------------------------------------------------------------------------

  /** Runs `entry` on this thread alone. */
  call(entry: Entry, ...args: number[]): void {
    this.fns[ENTRY.indexOf(entry)](...args);
  }

  /**
   * Runs `entry` over the range [0, total): split at a multiple of `grain` between the worker
   * (upper part) and this thread (lower part) when the kernel has at least minParallelFlops
   * operations and the worker runs, else all on this thread. `args(lo, hi, thread)` gives the
   * entry point's arguments for one share.
   */
  split(
    entry: Entry,
    total: number,
    grain: number,
    flops: number,
    args: (lo: number, hi: number, thread: number) => number[],
  ): void {
    const fn = this.fns[ENTRY.indexOf(entry)];
    const mid = Math.round(total / 2 / grain) * grain;
    if (flops < this.minParallelFlops || mid <= 0 || mid >= total || !this.post(entry, args(mid, total, 1))) {
      fn(...args(0, total, 0));
      return;
    }
    try {
      fn(...args(0, mid, 0));
    } finally {
      this.join(entry);
    }
  }

  /**
   * Starts `entry(...share)` on the worker and returns true; false (nothing started) when the
   * worker does not run. Every started share must be joined (`join`) before the calling thread
   * touches what it writes, and before the next post or reset.
   */
  post(entry: Entry, share: number[]): boolean {
    if (!this.parallel) return false;
    const c = this.i32(this.control, CONTROL_BYTES / 4);
    c[FN] = ENTRY.indexOf(entry);
    c[NARGS] = share.length;
    for (let i = 0; i < share.length; i++) c[ARGS + i] = share[i];
    Atomics.store(c, SEQ, (Atomics.load(c, SEQ) + 1) | 0);
    Atomics.notify(c, SEQ);
    return true;
  }

  /** Waits for the share that `post` started; throws if it failed on the worker. */
  join(entry: Entry): void {
    const c = this.i32(this.control, CONTROL_BYTES / 4);
    const seq = Atomics.load(c, SEQ);
    for (let d = Atomics.load(c, DONE); d !== seq; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    if (Atomics.exchange(c, FAILED, 0)) throw new Error(`dynopool wasm backend: '${entry}' failed on the worker thread`);
  }

  private startWorker(module: WasmModule): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory: this.memory, control: this.control, entries: ENTRY },
    });
    worker.unref();
    this.worker = worker;
    // polls (a timer that keeps the process alive only until the worker is up, 10 s at most)
    const started = Date.now();
    this.readyPromise = new Promise((resolve) => {
      const poll = (): void => {
        if (this.parallel || this.worker === null || Date.now() - started > 10_000) resolve();
        else setTimeout(poll, 2);
      };
      poll();
    });
    worker.on('error', () => {
      this.worker = null;
    });
  }
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

function defaultThreads(): number {
  const env = process.env.DYNOPOOL_WASM_THREADS;
  if (env) return Math.max(1, Math.min(2, Number(env) || 1));
  return Math.min(2, availableParallelism());
}
