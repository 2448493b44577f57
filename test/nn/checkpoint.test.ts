import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Generator,
  LRScheduler,
  SGD,
  crossEntropy,
  decodeSafetensors,
  encodeSafetensors,
  gmacsLoss,
  loadCheckpoint,
  saveCheckpoint,
  tensor,
} from '../../src/index.js';
import { vals } from '../support/values.js';
import { tinyBatch, tinyVgg } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'dynopool-ckpt-'));

function setup() {
  const model = tinyVgg(true, 'float32');
  const alphas = model
    .namedParameters()
    .filter(([k]) => k.endsWith('alpha'))
    .map(([, p]) => p);
  const weights = model.parameters().filter((p) => !alphas.includes(p));
  const optimizer = new SGD(
    [
      { params: weights, name: 'weights' },
      { params: alphas, name: 'alpha', lr: 0.01, weightDecay: 0 },
    ],
    { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  );
  const scheduler = new LRScheduler(optimizer, { kind: 'cosine', total: 20 });
  const generator = new Generator(11);
  return { model, optimizer, scheduler, generator };
}

function trainSteps(s: ReturnType<typeof setup>, n: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    const { x, labels } = tinyBatch('float32', s.generator.int(1000), 4);
    s.optimizer.zeroGrad();
    const out = s.model.forwardWithCost(x);
    const loss = crossEntropy(out.logits, labels).add(gmacsLoss(s.model, out).mul(1000));
    loss.backward();
    s.optimizer.step();
    s.scheduler.step();
    losses.push(loss.item());
  }
  return losses;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata; the layout follows the spec', () => {
    const t = { b: tensor([1.5, -2], { dtype: 'float64' }), a: tensor([[1, 2, 3]]) };
    const bytes = encodeSafetensors(t, { note: 'hi' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(bytes.slice(8, 8 + n)).toString());
    expect(header.a).toEqual({ dtype: 'F32', shape: [1, 3], data_offsets: [0, 12] });
    expect(header.b).toEqual({ dtype: 'F64', shape: [2], data_offsets: [12, 28] });
    expect((8 + n) % 8).toBe(0);
    expect(new DataView(bytes.buffer).getFloat64(8 + n + 12, true)).toBe(1.5);
    const back = decodeSafetensors(bytes);
    expect(vals(back.tensors.b)).toEqual([1.5, -2]);
    expect(back.tensors.a.shape).toEqual([1, 3]);
    expect(back.metadata).toEqual({ note: 'hi' });
  });
  it('refuses truncated and malformed files with a message', () => {
    const bytes = encodeSafetensors({ w: tensor([1, 2, 3, 4]) });
    expect(() => decodeSafetensors(bytes.slice(0, 5), 'x.safetensors')).toThrow(
      'safetensors: x.safetensors: truncated: 5 bytes',
    );
    expect(() => decodeSafetensors(bytes.slice(0, 30))).toThrow(/truncated: the header needs \d+ bytes/);
    expect(() => decodeSafetensors(bytes.slice(0, bytes.length - 4))).toThrow(
      "truncated: tensor 'w' ends at byte 16 of the data, but only 12 bytes of data are present",
    );
    const garbage = bytes.slice();
    garbage[9] = 0x7b;
    garbage[10] = 0x7b;
    expect(() => decodeSafetensors(garbage)).toThrow('the header is not valid JSON');
    const extra = new Uint8Array(bytes.length + 3);
    extra.set(bytes);
    expect(() => decodeSafetensors(extra)).toThrow('3 bytes after the last tensor');
  });
});

describe('checkpoints', () => {
  it('round-trip gives bit-identical outputs and training continues identically', () => {
    const a = setup();
    trainSteps(a, 3);
    const path = join(dir, 'run.safetensors');
    saveCheckpoint(path, { ...a, epoch: 3, extra: { note: 'x' } });
    const continued = trainSteps(a, 3);

    const b = setup();
    b.generator.seed(999); // state must come from the file
    const { epoch, extra } = loadCheckpoint(path, b);
    expect(epoch).toBe(3);
    expect(extra).toEqual({ note: 'x' });
    const resumed = trainSteps(b, 3);
    expect(resumed).toEqual(continued);
    const { x } = tinyBatch('float32', 5, 2);
    expect(vals(b.model.forward(x))).toEqual(vals(a.model.forward(x)));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('refuses a corrupt or foreign file and a mismatched model, naming the file', () => {
    const s = setup();
    const path = join(dir, 'good.safetensors');
    saveCheckpoint(path, { ...s, epoch: 1 });
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expect(() => loadCheckpoint(cut, setup())).toThrow(`safetensors: ${cut}: truncated`);
    const foreign = join(dir, 'foreign.safetensors');
    writeFileSync(foreign, encodeSafetensors({ w: tensor([1]) }));
    expect(() => loadCheckpoint(foreign, setup())).toThrow(`loadCheckpoint: ${foreign} is not a dynopool checkpoint`);
    const other = tinyVgg(false, 'float32');
    expect(() => loadCheckpoint(path, { model: other })).toThrow(
      /loadCheckpoint: .*good.safetensors: loadStateDict: unexpected keys: features.3.alpha, features.7.alpha/,
    );
  });
});
