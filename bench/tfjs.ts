/** TensorFlow.js peers (cpu and wasm backends) on the same shapes, NHWC as tfjs prefers. */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');

export type TfBackend = 'cpu' | 'wasm';

/**
 * Registers tfjs-core's own gradient functions (tf's autodiff, which the train-step peer is checked
 * against). The Node bundle of tfjs-core leaves them out, and its register_all_gradients module
 * cannot load under Node's ESM resolution, so each dist/gradients/*_grad.js is imported on its own
 * (the registry is global); returns the files that could not load (Prod_grad.js, unused here).
 */
let gradientsRegistered: Promise<string[]> | null = null;
export function registerTfGradients(): Promise<string[]> {
  return (gradientsRegistered ??= (async () => {
    const dir = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'gradients');
    const failed: string[] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith('_grad.js'))) {
      try {
        const m = (await import(join(dir, f))) as Record<string, unknown>;
        for (const c of Object.values(m))
          if (c && typeof c === 'object' && 'kernelName' in c && 'gradFunc' in c)
            tf.registerGradient(c as tf.GradConfig);
      } catch {
        failed.push(f);
      }
    }
    return failed;
  })());
}

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

/** Batchnorm training forward (batch statistics, eps 1e-5): y and what the backward needs. */
function batchNormForward(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const invStd = tf.rsqrt(tf.add(variance, 1e-5));
  const xhat = tf.mul(tf.sub(x, mean), invStd);
  return { y: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D, xhat, invStd, mean, variance };
}

/** The closed-form batchnorm backward dynopool uses: [dx, dgamma, dbeta]. */
function batchNormBackward(dy: tf.Tensor, xhat: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor): tf.Tensor[] {
  const M = dy.shape[0]! * dy.shape[1]! * dy.shape[2]!;
  const dbias = tf.sum(dy, [0, 1, 2]);
  const dweight = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
  const dx = tf.mul(tf.div(tf.mul(gamma, invStd), M), tf.sub(tf.sub(tf.mul(dy, M), dbias), tf.mul(xhat, dweight)));
  return [dx, dweight, dbias];
}

/** Batchnorm training forward + backward written with tfjs ops (the closed form dynopool uses). */
export function batchNormFwdBwd(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor4D): tf.Tensor[] {
  return tf.tidy(() => {
    const { y, xhat, invStd } = batchNormForward(x, gamma, beta);
    return [y, ...batchNormBackward(dy, xhat, invStd, gamma)];
  });
}

/**
 * Training-mode batchnorm over NHWC with the closed-form backward as its gradient (one pass of
 * reductions instead of tf's autodiff through moments). Also returns the batch mean and biased
 * variance, which carry no gradient (for the running statistics).
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
): { y: tf.Tensor4D; mean: tf.Tensor; variance: tf.Tensor } {
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gi, bi] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { y, xhat, invStd, mean, variance } = batchNormForward(
      xi as tf.Tensor4D,
      gi as tf.Tensor1D,
      bi as tf.Tensor1D,
    );
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([xhat, invStd, gi]);
    return { value: y, gradFunc: (dy: tf.Tensor, [xh, is, g]: tf.Tensor[]) => batchNormBackward(dy, xh, is, g) };
  });
  const y = f(x, gamma, beta) as tf.Tensor4D;
  return { y, ...stats! };
}

/**
 * A 3x3, stride 1, 'same' convolution (x NHWC, w [3, 3, Ci, Co]) whose gradients are the XNNPACK
 * convolutions `inputGrad` / `filterGrad` instead of tfjs-wasm's Conv2DBackprop* kernels. With
 * `inputGrad: false` (a network's first layer, whose input needs no gradient) dx is zeros.
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor4D, opts: { inputGrad?: boolean } = {}): tf.Tensor4D {
  const needDx = opts.inputGrad ?? true;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    save([xi, wi]);
    return {
      value: tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
        needDx ? inputGrad(dy as tf.Tensor4D, ws as tf.Tensor4D) : tf.zerosLike(xs),
        filterGrad(xs as tf.Tensor4D, dy as tf.Tensor4D, 3),
      ],
    };
  });
  return f(x, w) as tf.Tensor4D;
}

/** Max pooling forward + its gradient kernel (MaxPoolGrad), where the backend has it. */
export function maxPoolFwdBwd(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor[] {
  const y = tf.maxPool(x, 2, 2, 'valid');
  const dx = tf
    .engine()
    .runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
  return [y, dx];
}
