/** Storage on the host: a typed array (the reference backend's storage, and float64 on gpu.js). */
import { dtypeOf, type DType, type TypedArray } from '../tensor/dtype.js';
import type { Storage } from './backend.js';

/** A storage that holds its values in a host typed array (the reference backend's, and host results on gpu.js). */
export class HostStorage implements Storage {
  constructor(readonly values: TypedArray) {}
  get dtype(): DType {
    return dtypeOf(this.values);
  }
  get size(): number {
    return this.values.length;
  }
  hostValues(): TypedArray {
    return this.values;
  }
}
