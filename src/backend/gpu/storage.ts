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
 */
import type { Texture } from 'gpu.js';
import type { Storage } from '../backend.js';
import { track, type Releasable } from '../memory.js';
import { isTexture, readBack, type KernelData } from './runtime.js';

const stats = { texturesCreated: 0, texturesDeleted: 0, readbacks: 0 };

/** Textures alive right now, and the totals since start-up (GL modes only make textures). */
export function gpuMemoryStats(): { liveTextures: number; texturesCreated: number; readbacks: number } {
  return {
    liveTextures: stats.texturesCreated - stats.texturesDeleted,
    texturesCreated: stats.texturesCreated,
    readbacks: stats.readbacks,
  };
}

const textures = new FinalizationRegistry<Texture>((t) => {
  stats.texturesDeleted++;
  t.delete();
});

export class GpuStorage implements Storage, Releasable {
  readonly dtype = 'float32' as const;
  keeps = 0;
  private host: Float32Array | null;
  private texture: Texture | null;
  private released = false;

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
      textures.register(this, data, this);
      track(this);
    } else {
      this.texture = null;
      this.host = data;
    }
  }

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

  /** Deletes the texture now (a tidy scope ended); a host copy, if read back already, stays usable. */
  release(): void {
    if (!this.texture) return;
    textures.unregister(this);
    stats.texturesDeleted++;
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
