/**
 * dynopool/testing: tools for checking gradients, not for training. Import them from
 * 'dynopool/testing' so that the main entry point holds only what a model needs (and needs no
 * fast-check, a peer dependency of this entry only).
 *
 *   gradProperty(fn, [arbTensor()])   proves fn's gradient on random inputs (fast-check + gradcheck)
 *   arbTensor, arbShape, ...          the inputs: shapes, broadcastable pairs, values away from kinks,
 *                                     conv / pool / matmul / reduction / DynOPool problems
 *   checkOps(OP_CHECKS)               every op's property on every backend here (`dynopool check`)
 *   freezeSizes(model, forward)       finite differences through DynOPool's surrogate sizes
 */
import '../backends/index.js';

export { freezeSizes } from './freeze-sizes.js';
export { FC_SEED, RUNS, RUNS_SCALE, FLOAT32_PARITY } from './config.js';
export {
  arbDim,
  arbShape,
  arbBroadcastPair,
  arbSeed,
  arbTensor,
  arbMatmulShapes,
  arbReduction,
  arbConv2d,
  arbPool2d,
  arbBatchNorm2d,
  arbDynoSample,
  dynoSampleMargins,
  valuesFor,
  tensorFor,
  distinctValues,
  latticeValues,
  withNonFinite,
  NON_FINITE,
  type ShapeOptions,
  type ValueOptions,
  type TensorArbOptions,
  type Conv2dCase,
  type Pool2dCase,
} from './arbitraries.js';
export {
  gradProperty,
  expectGradOk,
  failureReport,
  propertyParameters,
  type GradPropertyOptions,
  type PropertyOptions,
  type InputArbitraries,
} from './props.js';
export { parityMismatches, type ParityTolerance } from './parity.js';
export { OP_CHECKS, opCheck, type OpCheck, type GradCase } from './ops.js';
export {
  checkOps,
  formatMatrix,
  checkBackends,
  type CheckOptions,
  type CheckMatrix,
  type CheckCell,
  type CheckBackend,
} from './check.js';
