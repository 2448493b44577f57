/** Every kernel declaration and its attribute types (for backends, tests and new kernels). */
export * from './elementwise/elementwise.kernels.js';
export * from './reduce/reduce.kernels.js';
export * from './movement/movement.kernels.js';
export * from './matmul/matmul.kernels.js';
export * from './conv/conv2d.kernels.js';
export * from './pool/pool.kernels.js';
export * from './batchnorm/batchnorm.kernels.js';
export * from './dynopool/dynosample.kernels.js';
export * from './optim/sgd.kernels.js';
