/**
 * Storage of the gpu.js backend (float32 only; float64 tensors on this backend use HostStorage).
 *
 * A GpuStorage holds its values in one of two places, and copies them to the other lazily:
 *   - on the device: the texture a gpu.js kernel wrote (GL modes), passed straight to the next
 *     kernel without a readback; on webasm / cpu the kernel result is a host array, marked
 *     `onDevice` all the same so that placement decisions are the same on every mode;
 *   - on the host: a Float32Array (values made by `upload`, or a texture read back once,
 *     cached for every later read).
 *
 * Lifetime: storages are immutable, so a texture can be shared by every tensor that holds the
 * storage (a saved activation, its detached copy, the graph). It is deleted when the enclosing
 * `tidy` scope ends (src/backend/memory.ts) unless the storage survives the scope, or else when
 * the storage is garbage collected (a FinalizationRegistry: a safety net only, since its
 * callbacks never run while a synchronous loop holds the thread). `gpuMemoryStats` counts live
 * textures for the test that shows the count does not grow across steps.
 *
 * On webasm / cpu a kernel result (a host array marked onDevice) is what the backend holds in
 * place of a texture: it is counted the same way (liveStorages, liveBytes), tracked by `tidy`
 * and uncounted when a scope releases it or it is garbage collected. Releasing it drops nothing
 * (its values are the host copy, and stay readable), so code that works on GL works here too.
 */
import type { Texture } from 'gpu.js';
import type { Storage } from '../backend.js';
import { track, type Releasable } from '../memory.js';
import { isTexture, readBack, type KernelData } from './runtime.js';

const stats = { texturesCreated: 0, texturesDeleted: 0, readbacks: 0, liveStorages: 0, liveBytes: 0 };

/** Counters of the gpu.js backend: live textures, textures created, readbacks (for leak and transfer tests). */
export interface GpuMemoryStats {
  /** textures alive right now (GL modes only make textures) */
  liveTextures: number;
  /** textures made since start-up */
  texturesCreated: number;
  /** device values read back to the host since start-up */
  readbacks: number;
  /**
   * kernel results the backend holds right now, on every mode: textures on GL modes, result
   * arrays on webasm / cpu (until a tidy scope releases them or they are garbage collected)
   */
  liveStorages: number;
  /** their size in bytes (4 per float32 value) */
  liveBytes: number;
}

/** What the gpu.js backend holds right now, and the totals since start-up (see GpuMemoryStats). */
export function gpuMemoryStats(): GpuMemoryStats {
  return {
    liveTextures: stats.texturesCreated - stats.texturesDeleted,
    texturesCreated: stats.texturesCreated,
    readbacks: stats.readbacks,
    liveStorages: stats.liveStorages,
    liveBytes: stats.liveBytes,
  };
}

const held = (bytes: number): void => {
  stats.liveStorages++;
  stats.liveBytes += bytes;
};
const dropped = (bytes: number): void => {
  stats.liveStorages--;
  stats.liveBytes -= bytes;
};

const textures = new FinalizationRegistry<{ texture: Texture; bytes: number }>(({ texture, bytes }) => {
  stats.texturesDeleted++;
  dropped(bytes);
  texture.delete();
});

/** Kernel-result arrays of webasm / cpu, uncounted when collected. */
const results = new FinalizationRegistry<number>(dropped);

/**
 * A tensor's values on the gpu.js backend: a kernel output (a texture on GL modes) kept where the
 * kernel wrote it, read back to the host at most once.
 */
export class GpuStorage implements Storage, Releasable {
  readonly dtype = 'float32' as const;
  keeps = 0;
  private host: Float32Array | null;
  private texture: Texture | null;
  private released = false;
  /** a webasm / cpu kernel result still counted as held (see the file comment) */
  private heldResult = false;

  /**
   * @param data a host array (takes ownership) or a texture written by a kernel
   * @param onDevice whether a gpu.js kernel produced it (true for every texture)
   */
  constructor(
    readonly size: number,
    data: KernelData,
    readonly onDevice: boolean,
  ) {
    if (isTexture(data)) {
      this.texture = data;
      this.host = null;
      stats.texturesCreated++;
      held(4 * size);
      textures.register(this, { texture: data, bytes: 4 * size }, this);
      track(this);
    } else {
      this.texture = null;
      this.host = data;
      if (onDevice) {
        this.heldResult = true;
        held(4 * size);
        results.register(this, 4 * size, this);
        track(this);
      }
    }
  }

  /** Wraps a kernel's output of `size` values as a device storage. */
  static fromKernel(size: number, data: KernelData): GpuStorage {
    return new GpuStorage(size, data, true);
  }

  /** What a kernel takes: the texture when there is one (no upload), else the host array. */
  kernelArg(): KernelData {
    this.check();
    return this.texture ?? this.host!;
  }

  /** The values on the host; a texture is read back on the first call only. */
  hostValues(): Float32Array {
    this.check();
    if (!this.host) {
      stats.readbacks++;
      this.host = readBack(this.texture!, this.size);
    }
    return this.host;
  }

  /**
   * Deletes the texture now (a tidy scope ended); a host copy, if read back already, stays usable.
   * A webasm / cpu result is only uncounted: its array is the host copy.
   */
  release(): void {
    if (this.heldResult) {
      this.heldResult = false;
      results.unregister(this);
      dropped(4 * this.size);
      return;
    }
    if (!this.texture) return;
    textures.unregister(this);
    stats.texturesDeleted++;
    dropped(4 * this.size);
    this.texture.delete();
    this.texture = null;
    this.released = this.host === null;
  }

  private check(): void {
    if (this.released) {
      throw new Error(
        `gpu backend: a tensor of ${this.size} values was used after tidy() released its device memory (return it from the tidy function, or keep() it)`,
      );
    }
  }
}
