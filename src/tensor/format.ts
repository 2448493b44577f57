/** PyTorch-style printing: aligned columns, '...' summaries for big tensors. */
import type { DType, TypedArray } from './dtype.js';
import { fmt, sizeOf, type Shape } from './shape.js';

const EDGE = 3;
const SUMMARIZE_OVER = 1000;

function formatNumber(v: number, decimals: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e8 || a < 1e-4)) return v.toExponential(4);
  return v.toFixed(decimals);
}

export function formatTensor(values: TypedArray, shape: Shape, dtype: DType, requiresGrad: boolean): string {
  const summarize = values.length > SUMMARIZE_OVER;
  const decimals = values.every((v) => Number.isInteger(v) || !Number.isFinite(v)) ? 0 : 4;
  const strings = new Map<number, string>();
  let width = 1;
  const str = (i: number): string => {
    let s = strings.get(i);
    if (s === undefined) {
      s = formatNumber(values[i], decimals) + (decimals === 0 && Number.isFinite(values[i]) ? '.' : '');
      strings.set(i, s);
      width = Math.max(width, s.length);
    }
    return s;
  };
  const indices = (len: number): (number | null)[] =>
    summarize && len > 2 * EDGE
      ? [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => len - EDGE + i)]
      : Array.from({ length: len }, (_, i) => i);
  // first pass fixes the column width, second pass renders
  const render = (dim: number, offset: number, indent: string): string => {
    if (dim === shape.length) return str(offset).padStart(width);
    const stride = sizeOf(shape.slice(dim + 1));
    const parts = indices(shape[dim]).map((i) =>
      i === null ? '...' : render(dim + 1, offset + i * stride, indent + ' '),
    );
    const sep = dim === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - dim - 1) + indent + ' ';
    return '[' + parts.join(sep) + ']';
  };
  render(0, 0, '       ');
  const body = shape.length === 0 ? str(0) : render(0, 0, '       ');
  const extras = [`dtype=${dtype}`];
  if (summarize) extras.push(`shape=${fmt(shape)}`);
  if (requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}, ${extras.join(', ')})`;
}
