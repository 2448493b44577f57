/**
 * Layering of src/ (npm run lint:deps). Folders, bottom to top; a folder may import only from
 * folders below it (and itself):
 *
 *   backend   the seam: Backend/Storage/Kernel interfaces, registry, memory scopes, host
 *             storage, the gpu.js runtime (gpu.js loaded lazily) and GpuStorage
 *   tensor    Tensor, creation, random (dtype.ts and shape.ts, the value vocabulary, sit below
 *             everything: backend may use them)
 *   autograd  the engine (installs Tensor.backward), op definitions, gradcheck
 *   ops       each family: op + kernel declarations + .cpu.ts + .gpu.ts; installs method forms
 *   backends  assembles and registers the reference and gpu.js backends from the op tables
 *   nn, data, train, lab (the browser lab's page and Worker), testing (support for users checking
 *             their own code: the only folder that imports fast-check, a peer dependency of
 *             dynopool/testing), cli (loads testing lazily; serves the lab)
 *
 * and no module-level cycle anywhere. The browser's files (src/lab, every `x.browser.ts` twin,
 * src/browser.ts) import nothing from Node; the browser build (scripts/build-browser.js) also
 * fails on any Node import it reaches.
 */
const ORDER = ['backend', 'tensor', 'autograd', 'ops', 'backends', 'nn', 'data', 'train', 'lab', 'testing', 'cli'];

const layerRules = ORDER.slice(0, -1).map((folder, i) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may not import from the layers above it (${ORDER.slice(i + 1).join(', ')})`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: {
    path: `^src/(${ORDER.slice(i + 1).join('|')})/`,
    // the value vocabulary is below everything
    pathNot: '^src/tensor/(dtype|shape)\\.ts$',
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles between modules',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'gpu-kernels-only-from-backends',
      comment: 'the gpu.js implementation tables (.gpu.ts) are loaded by src/backends only, never by the ops',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/backends/', '\\.gpu\\.ts$'] },
      to: { path: '\\.gpu\\.ts$' },
    },
    {
      name: 'gpu-js-only-in-runtime',
      comment: 'only the gpu.js runtime and its platform host touch the gpu.js package (Node loads it lazily)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/backend/gpu/(runtime|host|host\\.browser)\\.ts$' },
      to: { path: 'node_modules/gpu\\.js/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'browser-files-without-node',
      comment: 'the browser lab, the browser entry and every x.browser.ts twin must not import Node modules',
      severity: 'error',
      from: { path: ['^src/lab/', '\\.browser\\.ts$', '^src/browser\\.ts$'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'fast-check-only-in-testing',
      comment:
        'fast-check is a peer dependency of dynopool/testing only: the main entry point and the trainer must not need it (the CLI reaches it through a dynamic import in src/cli/check.ts)',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/testing/', '^src/cli/check\\.ts$'] },
      to: { path: 'node_modules/fast-check/' },
    },
    {
      name: 'testing-loaded-lazily-by-the-cli',
      comment: 'the CLI loads src/testing (and so fast-check) only in `dynopool check`, with a dynamic import',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/testing/', dependencyTypesNot: ['dynamic-import', 'type-only', 'type-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
