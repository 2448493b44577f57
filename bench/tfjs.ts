/** TensorFlow.js peers (cpu and wasm backends) on the same shapes, NHWC as tfjs prefers. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');

export type TfBackend = 'cpu' | 'wasm';

export async function useTf(backend: TfBackend): Promise<typeof tf> {
  await tf.setBackend(backend);
  await tf.ready();
  return tf;
}

/**
 * dW [KH, KW, C, Co] as one convolution (stock tfjs-wasm has no Conv2DBackpropFilter kernel):
 * dW[kh, kw, c, o] = sum_{n, i, j} xpad[n, i + kh, j + kw, c] dy[n, i, j, o], which is conv2d of
 * x with channels and batch swapped ([C, H, W, N]) by dy as a filter ([H, W, N, Co]), so it runs
 * on XNNPACK's convolution. (8x faster than 9 shifted matmuls at 64->64 @32x32, N = 32.)
 */
export function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  return tf.tidy(() => {
    const p = Math.floor(k / 2);
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const ft = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const o = tf.conv2d(xt, ft, 1, [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ]);
    return tf.transpose(o, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * dx [N, H, W, C] as one convolution of dy with the flipped, in/out-transposed filter (stride 1,
 * 'same' padding, odd k), which XNNPACK runs; tfjs-wasm's Conv2DBackpropInput kernel is a plain loop
 * (about 9x slower at 64->64 @32x32, N = 32).
 */
export function inputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const flipped = tf.reverse(w, [0, 1]);
    return tf.conv2d(dy, tf.transpose(flipped, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same');
  });
}

export { tf };

/** Batchnorm training forward + backward written with tfjs ops (the closed form dynopool uses). */
export function batchNormFwdBwd(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor4D): tf.Tensor[] {
  return tf.tidy(() => {
    const M = x.shape[0] * x.shape[1] * x.shape[2];
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, 1e-5));
    const xhat = tf.mul(tf.sub(x, mean), invStd);
    const y = tf.add(tf.mul(xhat, gamma), beta);
    const dbias = tf.sum(dy, [0, 1, 2]);
    const dweight = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
    const dx = tf.mul(tf.div(tf.mul(gamma, invStd), M), tf.sub(tf.sub(tf.mul(dy, M), dbias), tf.mul(xhat, dweight)));
    return [y, dx, dweight, dbias];
  });
}

/** Max pooling forward + its gradient kernel (MaxPoolGrad), where the backend has it. */
export function maxPoolFwdBwd(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor[] {
  const y = tf.maxPool(x, 2, 2, 'valid');
  const dx = tf
    .engine()
    .runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
  return [y, dx];
}
