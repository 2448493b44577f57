/**
 * A seeded pseudo-random generator: the same seed gives the same numbers on every machine.
 *
 * The core is SplitMix64-seeded xoshiro128** on 32-bit integers (pure integer arithmetic with
 * Math.imul, so it is bit-identical across JS engines). Normals use Box-Muller.
 */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * Re-seed in place. A seed is an integer in [0, 2^53) (every one is a distinct stream: the low
   * 32 bits seed the state as they always did, the high 21 bits are mixed into three of its four
   * words, so seeds below 2^32 give the same numbers as before and no larger seed collides with
   * one of them). Anything else is refused rather than silently folded onto another seed.
   */
  seed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(
        `Generator: seed must be an integer in [0, 2^53), got ${seed} (seeds are not rounded or wrapped; pick another)`,
      );
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32);
    let x = low;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      this.s[i] = mix32(x);
    }
    // mix32 is a bijection with mix32(0) = 0: high = 0 changes nothing, and word 0 alone
    // determines `low`, so (low, high) -> state is one-to-one
    if (high !== 0)
      for (let i = 1; i < 4; i++)
        this.s[i] = (this.s[i] ^ mix32((high + Math.imul(i, 0x632be5ab)) | 0) ^ mix32(Math.imul(i, 0x632be5ab))) >>> 0;
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  /** Restores a state from `getState()`. */
  setState(state: readonly number[]): this {
    if (state.length !== 5 || state.slice(0, 4).some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`Generator.setState: expected 4 uint32 words and a spare normal, got [${state.join(', ')}]`);
    }
    this.s.set(state.slice(0, 4));
    this.spare = Number.isNaN(state[4]) ? null : state[4];
    return this;
  }
}

/** The splitmix32 / murmur3 finaliser: a bijection on 32-bit integers. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator used when an op is given none (seed it with `manualSeed`). */
export const defaultGenerator = new Generator(0);

/** Reseeds the global generator (PyTorch's `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
