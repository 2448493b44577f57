/**
 * The asynchronous seam: a test-only backend whose storages hold Promises (like gpu.js's webgpu
 * mode, where every kernel call returns one). `run` stays synchronous and queues the reference
 * implementations on the resolved inputs; only reads wait. No op knows about it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, Storage } from '../../src/backend/backend.js';
import { conv2d, registerBackend, runReference, setBackend, tensor, type Tensor } from '../../src/index.js';
import type { DType, TypedArray } from '../../src/tensor/dtype.js';

class PendingStorage implements Storage {
  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly values: Promise<TypedArray>,
  ) {}
  hostValues(): TypedArray {
    throw new Error('async backend: values are not on the host yet; read them with await tensor.dataAsync()');
  }
}

const pending = (s: Storage): Promise<TypedArray> => (s as PendingStorage).values;

const asyncBackend: Backend = {
  name: 'async-test',
  upload: (values) =>
    new PendingStorage(values instanceof Float64Array ? 'float64' : 'float32', values.length, Promise.resolve(values)),
  read: () => {
    throw new Error('async backend: a synchronous read is not possible here; use await tensor.dataAsync()');
  },
  readAsync: async (x) => (await pending(x)).slice(),
  run: (kernel, inputs, attrs, shapes) => {
    const results = Promise.all(inputs.map(pending)).then(async (values) => {
      await new Promise((r) => setTimeout(r, 0)); // really later
      return runReference(kernel, values, attrs, shapes);
    });
    return shapes.outputs.map(
      (shape, i) =>
        new PendingStorage(
          shapes.dtypes[i],
          shape.reduce((p, d) => p * d, 1),
          results.then((r) => r[i]),
        ),
    );
  },
  has: () => false,
};
registerBackend('async-test', () => asyncBackend);

/** conv2d + relu + sum, and the gradients of x and w. */
function graph(): { loss: Tensor; x: Tensor; w: Tensor } {
  const x = tensor(
    Array.from({ length: 2 * 2 * 5 * 5 }, (_, i) => Math.sin(i)),
    { shape: [2, 2, 5, 5], dtype: 'float64', requiresGrad: true },
  );
  const w = tensor(
    Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => Math.cos(i)),
    { shape: [3, 2, 3, 3], dtype: 'float64', requiresGrad: true },
  );
  const loss = conv2d(x, w, null, { padding: 1 }).relu().sum();
  loss.backward();
  return { loss, x, w };
}

describe('an asynchronous backend (storages hold Promises)', () => {
  afterEach(() => {
    setBackend('reference');
  });

  it('computes the reference values, read with dataAsync()', async () => {
    setBackend('reference');
    const want = graph();
    setBackend('async-test');
    const got = graph();
    expect(got.loss.backend.name).toBe('async-test');
    expect(await got.loss.dataAsync()).toEqual(want.loss.data());
    expect(await got.x.grad!.dataAsync()).toEqual(want.x.grad!.data());
    expect(await got.w.grad!.dataAsync()).toEqual(want.w.grad!.data());
  });

  it('refuses a synchronous read with a clear error', () => {
    setBackend('async-test');
    const { loss } = graph();
    expect(() => loss.data()).toThrow('use await tensor.dataAsync()');
    expect(() => loss.item()).toThrow('use await tensor.dataAsync()');
  });
});
