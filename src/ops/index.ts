/**
 * Every op, as a function. Importing this module also installs the method forms (`x.add(y)`)
 * onto Tensor.prototype (./methods.ts) and `backward()` (src/autograd/engine.ts).
 */
export { METHOD_FORMS } from './methods.js';
export { add, sub, mul, div, pow, maximum, minimum, eq, gt, ge, lt, le, where, sumTo } from './elementwise/binary.js';
export {
  neg,
  exp,
  log,
  sqrt,
  abs,
  relu,
  leakyRelu,
  sigmoid,
  tanh,
  floor,
  round,
  clamp,
  cast,
  sign,
  step,
} from './elementwise/unary.js';
export { stopGradient, roundSurrogate, clampSurrogate } from './surrogate/surrogate.js';
export { sum, mean, max, min, variance, variance as var, type VarOptions } from './reduce/reduce.js';
export { reshape, flatten, permute, transpose, expand, slice, pad, concat, stack } from './movement/movement.js';
export { matmul } from './matmul/matmul.js';
export { softmax, logSoftmax, logSumExp, crossEntropy } from './softmax/softmax.js';
export { conv2d, convGeometry, type Conv2dOptions, type IntPair } from './conv/conv2d.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from './pool/pool.js';
export { batchNorm2d, type BatchNorm2dOptions } from './batchnorm/batchnorm.js';
export {
  dynoSample,
  dynoPool2d,
  dynoOutputSize,
  MIN_CONTINUOUS_SIZE,
  DYNO_MAX_SCALE,
  type DynoPool2dOptions,
  type DynoPool2dResult,
} from './dynopool/dynopool.js';
export { linear, dropout, type DropoutOptions } from './functional/functional.js';
export { sgdUpdate, type SgdUpdateResult } from './optim/sgd.js';
