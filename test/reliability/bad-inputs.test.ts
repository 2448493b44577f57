/**
 * Issue #13 (reliability): a table of bad inputs, through the API and through the CLI. Every row
 * must be refused with an error that names the op / option and the offending value, never a raw
 * TypeError / RangeError / EISDIR nor a silent success.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { program } from '../../src/cli/program.js';
import { cifar } from '../../src/data/real.js';
import {
  Generator,
  SGD,
  crossEntropy,
  eye,
  add,
  conv2d,
  decodeSafetensors,
  encodeSafetensors,
  gradcheck,
  gradcheckParams,
  loadCheckpoint,
  logSoftmax,
  logSumExp,
  randn,
  softmax,
  tensor,
  vgg,
  zeros,
} from '../../src/index.js';
import { loadSafetensors, saveSafetensors, writeFileAtomic } from '../../src/nn/checkpoint.js';
import { DEFAULTS } from '../../src/train/config.js';
import { readRun } from '../../src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'dynopool-bad-'));

/** A safetensors file from a hand-written header (data: `dataLen` zero bytes). */
function rawSafetensors(header: Record<string, unknown>, dataLen: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}
const f32 = (offsets: [number, number], shape = [1]) => ({ dtype: 'F32', shape, data_offsets: offsets });

/** A run directory with a config.json (and optionally a damaged one). */
function runDir(name: string, config: unknown): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

/** A checkpoint of a tiny model with the given metadata. */
function checkpointWith(name: string, metadata: Record<string, string>): string {
  const path = join(root, `${name}.safetensors`);
  saveSafetensors(path, { 'model.w': tensor([1, 2]) }, metadata);
  return path;
}

const leaf = () => tensor([1, 2], { requiresGrad: true });

interface ApiRow {
  what: string;
  call: () => unknown;
  error: RegExp;
}

const apiRows: ApiRow[] = [
  // item 8: seeds
  {
    what: 'Generator seed 2^53',
    call: () => new Generator(2 ** 53),
    error: /Generator: seed must be an integer in \[0, 2\^53\), got 9007199254740992/,
  },
  {
    what: 'Generator seed -1',
    call: () => new Generator(-1),
    error: /Generator: seed must be an integer in \[0, 2\^53\), got -1/,
  },
  {
    what: 'Generator seed 0.5',
    call: () => new Generator(0.5),
    error: /Generator: seed must be an integer in \[0, 2\^53\), got 0\.5/,
  },
  { what: 'Generator seed NaN', call: () => new Generator(NaN), error: /Generator: seed must be an integer .*got NaN/ },
  {
    what: 'manualSeed re-seed with 1e300',
    call: () => new Generator(1).seed(1e300),
    error: /Generator: seed must be an integer .*got 1e\+300/,
  },
  {
    what: 'conv2d with the options where the bias goes',
    call: () => conv2d(randn([1, 2, 4, 4]), randn([3, 2, 3, 3]), { padding: 1 } as never),
    error: /conv2d: bias must be a Tensor or null, got an object \{"padding":1\}; the options come fourth/,
  },
  {
    what: 'add with a plain array',
    call: () => add(randn([2]), [1, 2] as never),
    error: /add: expected a Tensor or a number, got an array of 2 \(wrap it: tensor\(\[\.\.\.\]\)\)/,
  },
  // item 9: optimizer, models, creation, gradcheck, softmax
  {
    what: 'SGD on a non-leaf tensor',
    call: () => new SGD([leaf().mul(2)], { lr: 0.1 }),
    error: /SGD: parameter \[2\] in group 0 is not a leaf tensor .*detach/,
  },
  {
    what: 'SGD on a non-leaf tensor in a named group',
    call: () => new SGD([{ params: [leaf(), leaf().add(1)], name: 'alpha' }], { lr: 0.1 }),
    error: /SGD: parameter \[2\] in group alpha is not a leaf/,
  },
  {
    what: 'vgg width 0',
    call: () => vgg('vgg5', { width: 0 }),
    error: /vgg5: width must be a number in \(0, 16\], got 0/,
  },
  { what: 'vgg width -1', call: () => vgg('vgg5', { width: -1 }), error: /vgg5: width must be .*got -1/ },
  { what: 'vgg width NaN', call: () => vgg('vgg11', { width: NaN }), error: /vgg11: width must be .*got NaN/ },
  { what: 'vgg width 1e6', call: () => vgg('vgg5', { width: 1e6 }), error: /vgg5: width must be .*got 1000000/ },
  {
    what: 'zeros([1e10, 1e10])',
    call: () => zeros([1e10, 1e10]),
    error: /full: shape \[10000000000, 10000000000\] has 1e\+20 elements, more than the 4294967296 a tensor can hold/,
  },
  {
    what: 'eye(1e5)',
    call: () => eye(100000),
    error: /eye: shape \[100000, 100000\] has 10000000000 elements, more than the 4294967296/,
  },
  {
    what: 'randn([65536, 65537])',
    call: () => randn([65536, 65537]),
    error: /randn: shape \[65536, 65537\] has 4295032832 elements, more than/,
  },
  {
    what: 'gradcheck fn returns a number',
    call: () => gradcheck(() => 3 as never, [tensor([1], { dtype: 'float64' })]),
    error: /gradcheck: fn returned a number \(3\), not a Tensor/,
  },
  {
    what: 'gradcheck fn returns undefined',
    call: () => gradcheck((() => undefined) as never, [tensor([1], { dtype: 'float64' })]),
    error: /gradcheck: fn returned undefined, not a Tensor/,
  },
  {
    what: 'gradcheckParams f returns a number',
    call: () => gradcheckParams(() => 2 as never, [tensor([1], { dtype: 'float64', requiresGrad: true })]),
    error: /gradcheckParams: f returned a number \(2\), not a Tensor/,
  },
  {
    what: 'softmax over an empty axis',
    call: () => softmax(zeros([2, 0])),
    error: /softmax: axis 1 of the input \[2, 0\] is empty/,
  },
  {
    what: 'logSoftmax over an empty axis',
    call: () => logSoftmax(zeros([0, 3]), 0),
    error: /logSoftmax: axis 0 of the input \[0, 3\] is empty/,
  },
  {
    what: 'logSumExp over an empty axis',
    call: () => logSumExp(zeros([0])),
    error: /logSumExp: axis 0 of the input \[0\] is empty/,
  },
  {
    what: 'crossEntropy on 0 rows',
    call: () => crossEntropy(zeros([0, 3]), []),
    error: /crossEntropy: logits \[0, 3\] have no rows/,
  },
  {
    what: 'crossEntropy with 0 classes',
    call: () => crossEntropy(zeros([2, 0]), [0, 0]),
    error: /crossEntropy: logits \[2, 0\] have no classes/,
  },
  // item 5: safetensors
  {
    what: 'safetensors writer: a tensor named __metadata__',
    call: () => encodeSafetensors({ __metadata__: tensor([1]) }),
    error: /safetensors: cannot write a tensor named '__metadata__'/,
  },
  {
    what: 'safetensors reader: overlapping offsets',
    call: () => decodeSafetensors(rawSafetensors({ a: f32([0, 8], [2]), b: f32([4, 8]) }, 8), 'x.st'),
    error: /safetensors: x\.st: tensor 'b' data_offsets \[4, 8\] overlap tensor 'a' \[0, 8\]/,
  },
  {
    what: 'safetensors reader: gapped offsets',
    call: () => decodeSafetensors(rawSafetensors({ a: f32([0, 4]), b: f32([8, 12]) }, 12), 'x.st'),
    error: /safetensors: x\.st: 4 unused bytes between tensor 'a' \(ends at 4\) and tensor 'b' \(starts at 8\)/,
  },
  {
    what: 'safetensors reader: data not starting at 0',
    call: () => decodeSafetensors(rawSafetensors({ a: f32([4, 8]) }, 8), 'x.st'),
    error: /safetensors: x\.st: 4 unused bytes before tensor 'a'/,
  },
  {
    what: 'safetensors reader: a duplicate of another tensor',
    call: () => decodeSafetensors(rawSafetensors({ a: f32([0, 4]), b: f32([0, 4]) }, 4), 'x.st'),
    error: /tensor 'b' data_offsets \[0, 4\] overlap tensor 'a'/,
  },
  {
    what: 'checkpoint epoch "abc"',
    call: () =>
      loadCheckpoint(checkpointWith('abc', { format: 'dynopool-checkpoint-v1', epoch: 'abc' }), {
        model: { loadStateDict() {} } as never,
      }),
    error: /loadCheckpoint: .*abc\.safetensors: damaged metadata: epoch "abc" is not a non-negative integer/,
  },
  {
    what: 'checkpoint epoch missing',
    call: () =>
      loadCheckpoint(checkpointWith('noepoch', { format: 'dynopool-checkpoint-v1' }), {
        model: { loadStateDict() {} } as never,
      }),
    error: /loadCheckpoint: .*noepoch\.safetensors: damaged metadata: epoch is missing/,
  },
  {
    what: 'checkpoint epoch -1',
    call: () =>
      loadCheckpoint(checkpointWith('neg', { format: 'dynopool-checkpoint-v1', epoch: '-1' }), {
        model: { loadStateDict() {} } as never,
      }),
    error: /damaged metadata: epoch "-1" is not a non-negative integer/,
  },
  {
    what: 'checkpoint extra not JSON',
    call: () =>
      loadCheckpoint(checkpointWith('extra', { format: 'dynopool-checkpoint-v1', epoch: '1', extra: '{progress' }), {
        model: { loadStateDict() {} } as never,
      }),
    error: /loadCheckpoint: .*extra\.safetensors: damaged metadata: extra is not valid JSON/,
  },
  {
    what: 'checkpoint optimizer state not JSON',
    call: () =>
      loadCheckpoint(checkpointWith('opt', { format: 'dynopool-checkpoint-v1', epoch: '1', optimizer: '{' }), {
        model: { loadStateDict() {} } as never,
        optimizer: { loadStateDict() {} } as never,
      }),
    error: /loadCheckpoint: .*opt\.safetensors: damaged metadata: optimizer is not valid JSON/,
  },
  // item 9: data, files, configs
  {
    what: 'cifar10: a directory named data_batch_1.bin',
    call: () => {
      const d = join(root, 'cifar-dir');
      mkdirSync(join(d, 'data_batch_1.bin'), { recursive: true });
      return cifar('cifar10', d);
    },
    error: /cifar10: .*data_batch_1\.bin is a directory, not a file/,
  },
  {
    what: 'writeFileAtomic into a missing directory',
    call: () => writeFileAtomic(join(root, 'nodir', 'x', 'r.html'), 'hi'),
    error: /cannot write .*nodir\/x\/r\.html: the directory .*nodir\/x does not exist/,
  },
  {
    what: 'readRun: config.json names an unknown model',
    call: () => readRun(runDir('cfg-model', { model: 'alexnet', dataset: 'barcodes' })),
    error: /config\.json: model 'alexnet' is not one of vgg5/,
  },
  {
    what: 'readRun: config.json epochs "abc"',
    call: () => readRun(runDir('cfg-epochs', { ...DEFAULTS, model: 'vgg5', dataset: 'barcodes', epochs: 'abc' })),
    error: /config\.json: epochs must be an integer >= 1, got "abc"/,
  },
  {
    what: 'readRun: config.json lr -1',
    call: () => readRun(runDir('cfg-lr', { ...DEFAULTS, model: 'vgg5', dataset: 'barcodes', lr: -1 })),
    error: /config\.json: lr must be a number >= 0, got -1/,
  },
  {
    what: 'readRun: config.json is an array',
    call: () => readRun(runDir('cfg-array', '[1, 2]')),
    error: /config\.json: not a run configuration \(expected a JSON object\)/,
  },
  {
    what: 'readRun: config.json unknown dataset',
    call: () => readRun(runDir('cfg-data', { model: 'vgg5', dataset: 'imagenet' })),
    error: /config\.json: dataset 'imagenet' is not one of barcodes/,
  },
];

describe('bad inputs: API', () => {
  it.each(apiRows)('$what', async ({ call, error }) => {
    await expect(async () => call()).rejects.toThrow(error);
  });
  it('counts', () => expect(apiRows.length).toBeGreaterThanOrEqual(30));
});

// ---------------------------------------------------------------------------------------------

const tiny = ['--dataset', 'barcodes', '--limit', '64', '--epochs', '1', '--batch-size', '32', '--width', '0.125'];
let base = '';

/** A copy of the finished base run whose checkpoint metadata is edited by `edit`. */
function damagedRun(name: string, edit: (m: Record<string, string>) => void): string {
  const dir = join(root, name);
  cpSync(base, dir, { recursive: true });
  const ckpt = join(dir, 'checkpoint.safetensors');
  const { tensors, metadata } = loadSafetensors(ckpt);
  edit(metadata);
  saveSafetensors(ckpt, tensors, metadata);
  return dir;
}
function editedConfig(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = join(root, name);
  cpSync(base, dir, { recursive: true });
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

interface CliRow {
  what: string;
  args: () => string[];
  error: RegExp;
}

const cliRows: CliRow[] = [
  {
    what: 'train --lr 1e12 diverges',
    args: () => ['train', ...tiny, '--epochs', '2', '--lr', '1e12', '--out', join(root, 'nan')],
    error:
      /train: (the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+ \(step \d+\)|the model holds a non-finite value \(.*\) after epoch 1); the run diverged: lower --lr \(now 1000000000000\)/,
  },
  {
    what: 'train --nan-policy bogus',
    args: () => ['train', '--nan-policy', 'bogus'],
    error: /--nan-policy.*Allowed choices are error, ignore/,
  },
  {
    what: 'train --width 1e6',
    args: () => ['train', '--width', '1e6'],
    error: /--width must be a number >= 0\.01 and <= 16, got '1e6'/,
  },
  {
    what: 'train --seed 2^32 + 1',
    args: () => ['train', '--seed', '4294967297'],
    error: /--seed must be an integer >= 0 and <= 4294967295, got '4294967297'/,
  },
  { what: 'train --out ""', args: () => ['train', '--out', ''], error: /train: --out must name a directory, got ''/ },
  { what: 'demo --out ""', args: () => ['demo', '--out', ''], error: /demo: --out must name a directory, got ''/ },
  {
    what: 'report --out ""',
    args: () => ['report', base, '--out', ''],
    error: /report: --out must name a file, got ''/,
  },
  {
    what: 'report --out into a missing directory',
    args: () => ['report', base, '--out', join(root, 'nodir2', 'x', 'r.html')],
    error: /cannot write .*nodir2\/x\/r\.html: the directory .*nodir2\/x does not exist/,
  },
  {
    what: 'train --resume of a finished run',
    args: () => ['train', '--resume', '--out', editedConfig('finished', () => {})],
    error: /train --resume: the run in .*finished already completed its 1 epoch; nothing to resume/,
  },
  {
    what: 'train --resume, checkpoint epoch "abc"',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('epoch-abc', (m) => {
        m.epoch = 'abc';
      }),
    ],
    error: /damaged metadata: epoch "abc" is not a non-negative integer/,
  },
  {
    what: 'train --resume, checkpoint epoch missing',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('epoch-missing', (m) => {
        delete m.epoch;
      }),
    ],
    error: /damaged metadata: epoch is missing/,
  },
  {
    what: 'train --resume, checkpoint epoch beyond the run',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('epoch-big', (m) => {
        m.epoch = '7';
      }),
    ],
    error: /train --resume: .*checkpoint\.safetensors: damaged metadata: epoch 7 is beyond the run's 1 epoch/,
  },
  {
    what: 'train --resume, extra missing',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-missing', (m) => {
        m.epoch = '0';
        delete m.extra;
      }),
    ],
    error: /train --resume: .*checkpoint\.safetensors: damaged metadata: extra\.progress is missing/,
  },
  {
    what: 'train --resume, extra.progress a number',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-num', (m) => {
        m.epoch = '0';
        m.extra = '{"progress": 5}';
      }),
    ],
    error: /damaged metadata: extra\.progress is missing or not an object/,
  },
  {
    what: 'train --resume, extra.progress.batch "x"',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-batch', (m) => {
        m.epoch = '0';
        const e = JSON.parse(m.extra);
        e.progress.batch = 'x';
        e.progress.history = [];
        m.extra = JSON.stringify(e);
      }),
    ],
    error: /damaged metadata: extra\.progress\.batch must be an integer in \[0, 2\], got "x"/,
  },
  {
    what: 'train --resume, extra.progress.sums damaged',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-sums', (m) => {
        m.epoch = '0';
        const e = JSON.parse(m.extra);
        e.progress.sums = { loss: 'a' };
        e.progress.history = [];
        m.extra = JSON.stringify(e);
      }),
    ],
    error: /damaged metadata: extra\.progress\.sums\.loss must be a finite number/,
  },
  {
    what: 'train --resume, extra.progress.history not an array',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-hist', (m) => {
        m.epoch = '0';
        const e = JSON.parse(m.extra);
        e.progress.history = 'x';
        m.extra = JSON.stringify(e);
      }),
    ],
    error: /damaged metadata: extra\.progress\.history must be an array of 0 epoch records/,
  },
  {
    what: 'train --resume, extra not JSON',
    args: () => [
      'train',
      '--resume',
      '--out',
      damagedRun('extra-json', (m) => {
        m.extra = '{';
      }),
    ],
    error: /damaged metadata: extra is not valid JSON/,
  },
  {
    what: 'train --resume, config.json epochs "abc"',
    args: () => [
      'train',
      '--resume',
      '--out',
      editedConfig('cfg-abc', (c) => {
        c.epochs = 'abc';
      }),
    ],
    error: /config\.json: epochs must be an integer >= 1, got "abc"/,
  },
  {
    what: 'train --resume, config.json batchSize 0',
    args: () => [
      'train',
      '--resume',
      '--out',
      editedConfig('cfg-bs', (c) => {
        c.batchSize = 0;
      }),
    ],
    error: /config\.json: batchSize must be an integer >= 1, got 0/,
  },
  {
    what: 'train --resume, config.json width missing',
    args: () => [
      'train',
      '--resume',
      '--out',
      editedConfig('cfg-width', (c) => {
        delete c.width;
      }),
    ],
    error: /config\.json: width must be a number in \(0, 16\], got undefined/,
  },
  {
    what: 'train --resume, config.json flip "yes"',
    args: () => [
      'train',
      '--resume',
      '--out',
      editedConfig('cfg-flip', (c) => {
        c.flip = 'yes';
      }),
    ],
    error: /config\.json: flip must be true or false, got "yes"/,
  },
  {
    what: 'eval, checkpoint epoch "abc"',
    args: () => [
      'eval',
      damagedRun('eval-abc', (m) => {
        m.epoch = 'abc';
      }),
    ],
    error: /damaged metadata: epoch "abc" is not a non-negative integer/,
  },
  {
    what: 'train on cifar10 where data_batch_1.bin is a directory',
    args: () => {
      const d = join(root, 'cifar-cli');
      mkdirSync(join(d, 'data_batch_1.bin'), { recursive: true });
      return ['train', '--dataset', 'cifar10', '--data-dir', d, '--out', join(root, 'cifar-out')];
    },
    error: /cifar10: .*data_batch_1\.bin is a directory, not a file/,
  },
  {
    what: 'train into a run directory locked by a live process',
    args: () => {
      const d = join(root, 'locked');
      mkdirSync(d, { recursive: true });
      writeFileSync(
        join(d, '.dynopool.lock'),
        JSON.stringify({ pid: process.pid, started: '2024-01-01T00:00:00.000Z', command: 'train' }),
      );
      return ['train', ...tiny, '--out', d];
    },
    error: new RegExp(
      `train: .*locked is in use by another dynopool process \\(pid ${process.pid}, train since 2024-01-01T00:00:00.000Z\\)`,
    ),
  },
];

describe('bad inputs: CLI', () => {
  const quiet: { mockRestore(): void }[] = [];
  beforeAll(async () => {
    quiet.push(
      vi.spyOn(console, 'log').mockImplementation(() => {}),
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
    );
    base = join(root, 'base');
    await program().parseAsync(['node', 'dynopool', 'train', ...tiny, '--out', base]);
  });
  afterAll(() => quiet.forEach((q) => q.mockRestore()));
  it.each(cliRows)('$what', async ({ args, error }) => {
    const p = program().exitOverride();
    p.commands.forEach((c) => c.exitOverride());
    await expect(p.parseAsync(['node', 'dynopool', ...args()])).rejects.toThrow(error);
  });
  it('divergence keeps no all-NaN checkpoint: whatever checkpoint remains is finite', () => {
    const ckpt = join(root, 'nan', 'checkpoint.safetensors');
    if (!existsSync(ckpt)) return;
    for (const t of Object.values(loadSafetensors(ckpt).tensors))
      expect(Array.from(t.data()).every(Number.isFinite)).toBe(true);
  });
  it('counts', () => expect(cliRows.length).toBeGreaterThanOrEqual(20));
});
