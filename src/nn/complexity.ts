/**
 * Model complexity: a MAC counter and the paper's GMACs loss (eq. 7; design doc section 3).
 *
 * MACs of a convolution: H_out W_out C_out (C_in / groups) k_h k_w; of a linear: in * out.
 * Pooling, DynOPool, normalisation and activations count 0.
 *
 *   L_GMACs = sum_l (H_t W_t) / (H_0 W_0) * GMACs[l]
 *
 * with H_t, W_t the size tensors that set layer l's output size in a forward pass (live
 * gradients to every alpha upstream), H_0, W_0 their values at initialisation and GMACs[l]
 * the layer's count then, for one image. Its value is the model's GMACs per image.
 *
 * The forward pass computes the sum as it runs: each layer adds its term (`gmacsTerm`) to the
 * feature map's running `cost`, and `ImageClassifier.forwardWithCost` returns the total beside
 * the logits. So the loss of a training step is a function of that step's forward alone:
 *
 *   const out = model.forwardWithCost(images);
 *   const loss = crossEntropy(out.logits, labels).add(gmacsLoss(model, out).mul(lambda));  // eq. 8
 */
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { DynOPool } from './dynopool.js';
import { isCosted, type CostedLayer } from './layers.js';
import type { Module } from './module.js';

/** A module from images to logits (what the complexity functions accept). */
export type Model = Module<Tensor, Tensor>;

/** The root module has the empty name; reports call it 'model'. */
const autoName = (name: string): string => name || 'model';

/** One costed layer in a `countMacs` result: its name, class, output shape and MACs per image. */
export interface LayerCount {
  name: string;
  type: string;
  outputShape: readonly number[];
  macs: number;
}

/** The result of `countMacs`: per-layer counts and the total, in MACs and GMACs per image. */
export interface MacCount {
  layers: LayerCount[];
  totalMacs: number;
  gmacs: number;
}

function costedLayers(model: Model): [string, CostedLayer & Module<unknown, unknown>][] {
  return model.namedModules().filter((e): e is [string, CostedLayer & Module<unknown, unknown>] => isCosted(e[1]));
}

/** One image through the model in eval mode without a graph (does not touch batchnorm statistics). */
function dryRun(model: Model, inputShape: readonly number[], dtype: 'float32' | 'float64'): void {
  const modes = model.modules().map((m) => m.training);
  model.eval();
  try {
    noGrad(() => model.forward(zeros([1, ...inputShape], { dtype })));
  } finally {
    model.modules().forEach((m, i) => {
      m.training = modes[i];
    });
  }
}

function paramDType(model: Model): 'float32' | 'float64' {
  return model.parameters()[0]?.dtype ?? 'float32';
}

/**
 * Counts MACs for one image of shape [C, H, W] at the model's current sizes, from the actual
 * output shapes of each layer (independently of the size tensors that the GMACs loss uses).
 */
export function countMacs(model: Model, inputShape: readonly number[]): MacCount {
  dryRun(model, inputShape, paramDType(model));
  const layers = costedLayers(model).map(([name, m]) => {
    const s = m.lastOutputShape!;
    const [h, w] = s.length === 4 ? [s[2], s[3]] : [1, 1];
    return { name: autoName(name), type: m.constructor.name, outputShape: s, macs: m.macsAt(h, w) };
  });
  const totalMacs = layers.reduce((a, l) => a + l.macs, 0);
  return { layers, totalMacs, gmacs: totalMacs / 1e9 };
}

/** Fixes H_0, W_0 and GMACs[l] of every costed layer: call once, at initialisation. */
export function recordComplexityBaseline(model: Model, inputShape: readonly number[]): void {
  dryRun(model, inputShape, paramDType(model));
  for (const [, m] of costedLayers(model)) {
    const s = m.lastOutputShape!;
    const [h, w] = s.length === 4 ? [s[2], s[3]] : [1, 1];
    m.baseline = { h, w, gmacs: m.macsAt(h, w) / 1e9 };
  }
}

/**
 * The paper's L_GMACs (eq. 7) of the forward pass that produced `out` (a 0-d tensor,
 * differentiable w.r.t. every alpha). `model` is checked: every costed layer must have its
 * baseline, or its term would be missing from the sum.
 */
export function gmacsLoss(model: Model, out: { readonly gmacs: Tensor }): Tensor {
  const layers = costedLayers(model);
  if (layers.length === 0) throw new Error('gmacsLoss: the model has no convolution or linear layer');
  for (const [name, m] of layers) {
    if (!m.baseline)
      throw new Error(
        `gmacsLoss: layer '${autoName(name)}' has no baseline; call recordComplexityBaseline(model, inputShape) at initialisation`,
      );
  }
  return out.gmacs;
}

/** One DynOPool layer's latest output size `[H_out, W_out]` (null before a forward) and its alpha. */
export interface DynOPoolState {
  name: string;
  size: [number, number] | null;
  alpha: [number, number];
}

/** Every DynOPool layer's latest [H_out, W_out] and alpha, in model order. */
export function dynoPoolStates(model: Model): DynOPoolState[] {
  return model
    .namedModules()
    .filter((e): e is [string, DynOPool] => e[1] instanceof DynOPool)
    .map(([name, m]) => {
      const a = m.alpha.data();
      return { name: autoName(name), size: m.outputSize, alpha: [a[0], a[1]] };
    });
}

/**
 * The spatial sizes a model's convolutions ran at in the latest forward, consecutive repeats
 * removed: one [H, W] per stage, as in the paper's Table 1.
 */
export function featureMapSizes(model: Model): [number, number][] {
  const out: [number, number][] = [];
  for (const [, m] of costedLayers(model)) {
    const s = m.lastOutputShape;
    if (!s || s.length !== 4) continue;
    const last = out[out.length - 1];
    if (!last || last[0] !== s[2] || last[1] !== s[3]) out.push([s[2], s[3]]);
  }
  return out;
}
