/**
 * Data types. The CPU reference computes every op in float64 arithmetic and stores the result
 * in the tensor's dtype, so a float32 tensor holds the float64 result rounded once per op.
 */
export type DType = 'float32' | 'float64';
/** The host arrays tensor values travel in. */
export type TypedArray = Float32Array | Float64Array;

export function allocate(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

export function dtypeOf(values: TypedArray): DType {
  return values instanceof Float64Array ? 'float64' : 'float32';
}

export function assertDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`${op}: unknown dtype ${JSON.stringify(dtype)} (expected 'float32' or 'float64')`);
  }
}

/** Stores a float64 accumulator in `dtype` (no copy for float64). */
export function fromFloat64(acc: Float64Array, dtype: DType): TypedArray {
  return dtype === 'float64' ? acc : Float32Array.from(acc);
}
