/**
 * The package's gradient properties, one per differentiable op: what `dynopool check` runs.
 *
 * Each entry draws a small printable problem (`params`: shapes, seeds, options, a counterexample
 * in fast-check's report) and builds the function and its float64 inputs from it, away from the
 * op's kinks. Ops whose gradient is a deliberate surrogate (straight-through estimators,
 * stopGradient) name the smooth `twin` whose derivative their gradient must equal: central
 * differences of the op itself would see a flat (or identity) function.
 */
import fc from 'fast-check';
import type { GradcheckOptions } from '../autograd/gradcheck.js';
import { scalar, tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import * as ops from '../ops/index.js';
import {
  arbBatchNorm2d,
  arbBroadcastPair,
  arbConv2d,
  arbDim,
  arbDynoSample,
  arbMatmulShapes,
  arbPool2d,
  arbReduction,
  arbSeed,
  arbShape,
  distinctValues,
  latticeValues,
  tensorFor,
  valuesFor,
  type ValueOptions,
} from './arbitraries.js';

/** One problem of an op: the function and its float64 inputs. */
export interface GradCase {
  /** The function whose gradient is checked. */
  fn: (...xs: Tensor[]) => Tensor;
  inputs: Tensor[];
}

/** A gradient property of one op, as `checkOps` runs it. */
export interface OpCheck<P = unknown> {
  name: string;
  /** printable problems: shapes, seeds, options */
  params: fc.Arbitrary<P>;
  /** the function and its float64 inputs for one problem (on the current backend) */
  build(p: P): GradCase;
  /** options for gradcheck (e.g. maxElements) */
  gradcheck?: GradcheckOptions;
  /**
   * For a surrogate gradient: the smooth function whose derivative the op's gradient must equal
   * (checked against the twin's analytic gradient, itself checked by finite differences).
   */
  twin?: (...xs: Tensor[]) => Tensor;
  /**
   * float32 parity: a value's tolerance is atol + rtol * terms * max |reference| of its tensor
   * (FLOAT32_PARITY; `terms`, default 4, grows with the number of terms a value accumulates).
   */
  terms?: number;
}

/** Declares an OpCheck, keeping `params` and `build` in step. */
export const opCheck = <P>(spec: OpCheck<P>): OpCheck => spec as unknown as OpCheck;

const f64 = (v: ArrayLike<number>, shape: readonly number[]) =>
  tensor(Float64Array.from(v), { shape, dtype: 'float64' });
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const unary = (name: string, fn: (x: Tensor) => Tensor, values: ValueOptions = {}, twin?: (x: Tensor) => Tensor) =>
  opCheck({
    name,
    params: fc.record({ shape: arbShape({ maxDims: 3 }), seed: arbSeed() }),
    build: ({ shape, seed }) => ({ fn: fn as GradCase['fn'], inputs: [tensorFor(shape, seed, values)] }),
    twin: twin as OpCheck['twin'],
  });

const binary = (name: string, fn: (a: Tensor, b: Tensor) => Tensor, a: ValueOptions = {}, b: ValueOptions = {}) =>
  opCheck({
    name,
    params: fc.record({ shapes: arbBroadcastPair(), seed: arbSeed() }),
    build: ({ shapes: [sa, sb], seed }) => ({
      /** The function whose gradient is checked. */
      fn: fn as GradCase['fn'],
      inputs: [tensorFor(sa, seed, a), tensorFor(sb, seed + 1, b)],
    }),
  });

const extremum = (name: 'maximum' | 'minimum') =>
  opCheck({
    name: `${name} (no ties)`,
    params: fc.record({ shapes: arbBroadcastPair(), seed: arbSeed() }),
    build: ({ shapes: [sa, sb], seed }) => ({
      /** The function whose gradient is checked. */
      fn: ops[name] as GradCase['fn'],
      inputs: [f64(latticeValues(numel(sa), seed, 0.025), sa), f64(latticeValues(numel(sb), seed + 7, 0.075), sb)],
    }),
  });

const reduction = (
  name: string,
  /** The function whose gradient is checked. */
  fn: (x: Tensor, axes: number[] | undefined, keepdim: boolean) => Tensor,
  distinct = false,
) =>
  opCheck({
    name,
    params: arbReduction(),
    build: ({ shape, axes, keepdim, seed }) => ({
      /** The function whose gradient is checked. */
      fn: (x) => fn(x, axes, keepdim),
      inputs: [distinct ? f64(distinctValues(numel(shape), seed), shape) : tensorFor(shape, seed)],
    }),
    terms: 16,
  });

/** A shape with at least one dim and an axis of it. */
const arbAxis = () =>
  arbShape({ minDims: 1, maxDims: 3 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
      seed: arbSeed(),
    }),
  );

/** Every differentiable op that dynopool exports, with its gradient property. */
export const OP_CHECKS: readonly OpCheck[] = [
  unary('neg', ops.neg),
  unary('exp', ops.exp),
  unary('log', ops.log, { lo: 0.2, hi: 3 }),
  unary('sqrt', ops.sqrt, { lo: 0.2, hi: 3 }),
  unary('abs', ops.abs, { awayFrom: [0] }),
  unary('relu', ops.relu, { awayFrom: [0] }),
  unary('leakyRelu', (x) => ops.leakyRelu(x, 0.2), { awayFrom: [0] }),
  unary('sigmoid', ops.sigmoid, { lo: -6, hi: 6 }),
  unary('tanh', ops.tanh),
  unary('floor', ops.floor, { awayFrom: [-2, -1, 0, 1, 2] }),
  unary('round', ops.round, { awayFrom: [-1.5, -0.5, 0.5, 1.5] }),
  unary('sign', ops.sign, { awayFrom: [0] }),
  unary('step', ops.step, { awayFrom: [0] }),
  unary('clamp', (x) => ops.clamp(x, -0.5, 1), { awayFrom: [-0.5, 1] }),
  unary('stopGradient', ops.stopGradient, {}, (x) => x.mul(0)),
  unary('roundSurrogate', ops.roundSurrogate, {}, (x) => x.add(0)),
  unary(
    'clampSurrogate',
    (x) => ops.clampSurrogate(x, -0.5, 1),
    {},
    (x) => x.add(0),
  ),
  binary('add', ops.add),
  binary('sub', ops.sub),
  binary('mul', ops.mul),
  binary('div', ops.div, {}, { awayFrom: [0], margin: 0.3 }),
  binary('pow', ops.pow, { lo: 0.3, hi: 2.5 }),
  extremum('maximum'),
  extremum('minimum'),
  opCheck({
    name: 'where',
    params: fc.record({ shapes: arbBroadcastPair(), seed: arbSeed() }),
    build: ({ shapes: [sa, sb], seed }) => ({
      /** The function whose gradient is checked. */
      fn: (a, b, c) => ops.where(c.gt(0), a, b),
      inputs: [tensorFor(sa, seed), tensorFor(sb, seed + 1), tensorFor(sa, seed + 3, { awayFrom: [0] })],
    }),
  }),
  reduction('sum', (x, axes, keepdim) => x.sum(axes, keepdim)),
  reduction('mean', (x, axes, keepdim) => x.mean(axes, keepdim)),
  reduction('max (no ties)', (x, axes, keepdim) => x.max(axes, keepdim), true),
  reduction('min (no ties)', (x, axes, keepdim) => x.min(axes, keepdim), true),
  reduction('variance', (x, axes, keepdim) => ops.variance(x, axes, { keepdim })),
  opCheck({
    name: 'reshape',
    params: fc.record({ shape: arbShape({ minDims: 1 }), seed: arbSeed() }),
    build: ({ shape, seed }) => ({ fn: (x) => x.reshape([numel(shape)]), inputs: [tensorFor(shape, seed)] }),
  }),
  opCheck({
    name: 'permute',
    params: arbShape({ minDims: 1, maxDims: 4, max: 3 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        perm: fc.shuffledSubarray(
          shape.map((_, i) => i),
          { minLength: shape.length, maxLength: shape.length },
        ),
        seed: arbSeed(),
      }),
    ),
    build: ({ shape, perm, seed }) => ({ fn: (x) => ops.permute(x, perm), inputs: [tensorFor(shape, seed)] }),
  }),
  opCheck({
    name: 'expand',
    params: fc.record({ shapes: arbBroadcastPair(), seed: arbSeed() }),
    build: ({ shapes: [sa, sb], seed }) => {
      const out = ops.add(tensorFor(sa, 0), tensorFor(sb, 0)).shape;
      return { fn: (x) => ops.expand(x, out), inputs: [tensorFor(sa, seed)] };
    },
  }),
  opCheck({
    name: 'slice',
    params: arbShape({ minDims: 1, max: 5 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        bounds: fc.tuple(
          ...shape.map((d) =>
            fc
              .tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: d }))
              .map(([a, b]) => [Math.min(a, b - 1), Math.max(a + 1, b)] as const),
          ),
        ),
        seed: arbSeed(),
      }),
    ),
    build: ({ shape, bounds, seed }) => ({
      /** The function whose gradient is checked. */
      fn: (x) =>
        ops.slice(
          x,
          bounds.map((b) => b[0]),
          bounds.map((b) => b[1]),
        ),
      inputs: [tensorFor(shape, seed)],
    }),
  }),
  opCheck({
    name: 'pad',
    params: arbShape({ minDims: 1 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        pads: fc.tuple(...shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
        value: fc.constantFrom(0, 1.5),
        seed: arbSeed(),
      }),
    ),
    build: ({ shape, pads, value, seed }) => ({ fn: (x) => ops.pad(x, pads, value), inputs: [tensorFor(shape, seed)] }),
  }),
  opCheck({
    name: 'concat',
    params: arbAxis().chain((c) => fc.record({ c: fc.constant(c), extra: arbDim(1, 3) })),
    build: ({ c: { shape, axis, seed }, extra }) => {
      const other = shape.map((d, i) => (i === (axis + shape.length) % shape.length ? extra : d));
      return { fn: (a, b) => ops.concat([a, b], axis), inputs: [tensorFor(shape, seed), tensorFor(other, seed + 1)] };
    },
  }),
  opCheck({
    name: 'stack',
    params: arbAxis(),
    build: ({ shape, axis, seed }) => ({
      /** The function whose gradient is checked. */
      fn: (a, b) => ops.stack([a, b], axis),
      inputs: [tensorFor(shape, seed), tensorFor(shape, seed + 1)],
    }),
  }),
  opCheck({
    name: 'matmul',
    params: fc.record({ shapes: arbMatmulShapes(), seed: arbSeed() }),
    build: ({ shapes: [sa, sb], seed }) => ({
      /** The function whose gradient is checked. */
      fn: ops.matmul as GradCase['fn'],
      inputs: [tensorFor(sa, seed), tensorFor(sb, seed + 1)],
    }),
    terms: 16,
  }),
  opCheck({
    name: 'linear',
    params: fc.record({ n: arbDim(), i: arbDim(), o: arbDim(), seed: arbSeed() }),
    build: ({ n, i, o, seed }) => ({
      /** The function whose gradient is checked. */
      fn: (x, w, b) => ops.linear(x, w, b),
      inputs: [tensorFor([n, i], seed), tensorFor([o, i], seed + 1), tensorFor([o], seed + 2)],
    }),
    terms: 16,
  }),
  opCheck({
    name: 'softmax',
    params: arbAxis(),
    build: ({ shape, axis, seed }) => ({ fn: (x) => ops.softmax(x, axis), inputs: [tensorFor(shape, seed)] }),
    terms: 16,
  }),
  opCheck({
    name: 'logSoftmax',
    params: arbAxis(),
    build: ({ shape, axis, seed }) => ({ fn: (x) => ops.logSoftmax(x, axis), inputs: [tensorFor(shape, seed)] }),
    terms: 16,
  }),
  opCheck({
    name: 'logSumExp',
    params: arbAxis(),
    build: ({ shape, axis, seed }) => ({ fn: (x) => ops.logSumExp(x, axis), inputs: [tensorFor(shape, seed)] }),
    terms: 16,
  }),
  opCheck({
    name: 'crossEntropy',
    params: fc.record({ n: arbDim(), c: arbDim(2, 5), seed: arbSeed() }).chain((p) =>
      fc.record({
        p: fc.constant(p),
        labels: fc.array(fc.integer({ min: 0, max: p.c - 1 }), { minLength: p.n, maxLength: p.n }),
      }),
    ),
    build: ({ p: { n, c, seed }, labels }) => ({
      /** The function whose gradient is checked. */
      fn: (x) => ops.crossEntropy(x, labels),
      inputs: [tensorFor([n, c], seed)],
    }),
    terms: 16,
  }),
  opCheck({
    name: 'conv2d',
    params: arbConv2d(),
    build: (c) => {
      const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
      const x = tensorFor([c.N, c.groups * c.cg, c.H, c.W], c.seed);
      const w = tensorFor([c.groups * c.ocg, c.cg, c.KH, c.KW], c.seed + 1);
      return c.bias
        ? {
            /** The function whose gradient is checked. */
            fn: (xx, ww, bb) => ops.conv2d(xx, ww, bb, opts),
            inputs: [x, w, tensorFor([c.groups * c.ocg], c.seed + 2)],
          }
        : { fn: (xx, ww) => ops.conv2d(xx, ww, null, opts), inputs: [x, w] };
    },
    gradcheck: { maxElements: 150 },
    terms: 32,
  }),
  opCheck({
    name: 'maxPool2d (no ties)',
    params: arbPool2d(),
    build: (c) => {
      const shape = [c.N, c.C, c.H, c.W];
      return {
        /** The function whose gradient is checked. */
        fn: (x) => ops.maxPool2d(x, { kernelSize: c.k, stride: c.stride, padding: c.padding }),
        inputs: [f64(distinctValues(numel(shape), c.seed), shape)],
      };
    },
    gradcheck: { maxElements: 200 },
  }),
  opCheck({
    name: 'avgPool2d',
    params: arbPool2d(),
    build: (c) => ({
      /** The function whose gradient is checked. */
      fn: (x) =>
        ops.avgPool2d(x, { kernelSize: c.k, stride: c.stride, padding: c.padding, countIncludePad: c.countIncludePad }),
      inputs: [tensorFor([c.N, c.C, c.H, c.W], c.seed)],
    }),
    gradcheck: { maxElements: 200 },
    terms: 16,
  }),
  opCheck({
    name: 'globalAvgPool2d',
    params: arbPool2d(),
    build: (c) => ({ fn: ops.globalAvgPool2d as GradCase['fn'], inputs: [tensorFor([c.N, c.C, c.H, c.W], c.seed)] }),
    gradcheck: { maxElements: 200 },
    terms: 16,
  }),
  opCheck({
    name: 'batchNorm2d (training)',
    params: arbBatchNorm2d(),
    build: (c) => ({
      /** The function whose gradient is checked. */
      fn: (x, w, b) => ops.batchNorm2d(x, { weight: w, bias: b, training: true }),
      inputs: [tensorFor([c.N, c.C, c.H, c.W], c.seed), tensorFor([c.C], c.seed + 1), tensorFor([c.C], c.seed + 2)],
    }),
    gradcheck: { maxElements: 120 },
    terms: 64,
  }),
  opCheck({
    name: 'dynoSample (x, h, w)',
    params: arbDynoSample(),
    build: (c) => {
      const shape = [c.N, c.C, c.H, c.W];
      return {
        /** The function whose gradient is checked. */
        fn: ops.dynoSample as GradCase['fn'],
        inputs: [
          f64(valuesFor(shape, c.seed), shape),
          scalar(c.h, { dtype: 'float64' }),
          scalar(c.w, { dtype: 'float64' }),
        ],
      };
    },
    gradcheck: { maxElements: 120 },
    terms: 64,
  }),
];
