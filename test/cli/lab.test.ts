/**
 * The lab's server (`dynopool lab`, src/cli/lab.ts), without a browser: it serves the built page
 * cross-origin isolated, hands out Node's own datasets in the wire format, and refuses what it
 * should. (The page itself is driven in headless chromium by test/browser/lab.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabServer } from '../../src/cli/lab.js';
import { loadDataset } from '../../src/data/registry.js';
import { decodeDataset } from '../../src/data/wire.js';
import { buildBrowserInto } from '../support/browser.js';

let build: string, lab: LabServer;

beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), 'dynopool-lab-server-'));
  buildBrowserInto(build);
  lab = await startLab({ port: 0, root: join(build, 'lab') });
});
afterAll(async () => {
  await lab?.close();
  rmSync(build, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, lab.url), init);

describe('dynopool lab: the server', () => {
  it('serves the page, its script and its Worker, cross-origin isolated', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/page.js', 'text/javascript'],
      ['/worker.js', 'text/javascript'],
      ['/lab.css', 'text/css'],
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toContain(type);
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }
    expect(await (await get('/')).text()).toContain('<script type="module" src="page.js">');
  });

  it("sends Node's dataset, transform included, exactly", async () => {
    const r = await get('/data/barcodes.bin?limit=64&transform=stretch&seed=5');
    expect(r.status).toBe(200);
    const ds = decodeDataset(new Uint8Array(await r.arrayBuffer()));
    const node = loadDataset({ name: 'barcodes', limit: 64, transform: 'stretch', seed: 5 });
    expect(ds.shape).toEqual(node.shape);
    expect(ds.train.count).toBe(64);
    expect(ds.train.images).toEqual(node.train.images.subarray(0, 64 * 576));
    expect(ds.train.labels).toEqual(node.train.labels.subarray(0, 64));
    expect(ds.test.images).toEqual(node.test.images);
  });

  it('refuses unknown datasets, bad queries, paths outside the lab and other methods, naming them', async () => {
    const cases: [string, RequestInit | undefined, number, RegExp][] = [
      [
        '/data/cifar10.bin',
        undefined,
        400,
        /lab: unknown dataset 'cifar10' \(the lab offers barcodes, rings, mnist, fashion-mnist\)/,
      ],
      ['/data/barcodes.bin?limit=-3', undefined, 400, /lab: limit must be a non-negative integer, got '-3'/],
      [
        '/data/barcodes.bin?transform=flip',
        undefined,
        400,
        /lab: transform must be stretch, tile or large, got 'flip'/,
      ],
      ['/%2e%2e/%2e%2e/package.json', undefined, 404, /lab: no \//],
      ['/nothing.js', undefined, 404, /lab: no \/nothing\.js/],
      ['/', { method: 'POST' }, 405, /lab: POST is not served/],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await get(path, init);
      expect(r.status, path).toBe(status);
      expect(await r.text(), path).toMatch(message);
    }
  });

  it('is refused without a built lab, with the command that builds it', async () => {
    await expect(startLab({ port: 0, root: join(build, 'nothing') })).rejects.toThrow(
      /lab: .*nothing holds no built lab \(index\.html\); run npm run build/,
    );
  });
});
