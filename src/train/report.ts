/**
 * Reports: a plain-text comparison table (the paper's Table 1 layout) and a self-contained HTML
 * page with vega-lite charts rendered to inline SVG: learned feature-map sizes over epochs (the
 * paper's Fig. 4), loss / accuracy / GMACs curves, and each run's final feature-map shapes.
 */
import { basename } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { RunConfig } from './config.js';
import type { EpochRecord } from './trainer.js';

export interface RunSummary {
  name: string;
  cfg: RunConfig;
  history: EpochRecord[];
}

const fmtSizes = (sizes: [number, number][]) => sizes.map(([h, w]) => `[${h},${w}]`).join(' ');

/** One row per run: model, final test accuracy, GMACs per image, stage sizes. */
export function comparisonTable(runs: readonly RunSummary[]): string {
  const rows = runs.map((r) => {
    const last = r.history[r.history.length - 1];
    return [
      r.name,
      `${r.cfg.model}${r.cfg.width !== 1 ? ` x${r.cfg.width}` : ''}`,
      r.cfg.dynopool ? `DynOPool (lambda ${r.cfg.lambda})` : 'human',
      last ? (100 * last.testAcc).toFixed(1) : '-',
      last ? (last.gmacs * 1e3).toFixed(4) : '-',
      last ? fmtSizes(last.sizes) : '-',
    ];
  });
  const head = ['run', 'model', 'resizing', 'test acc %', 'MMACs/img', 'feature-map sizes [H,W]'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

async function svg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Boxes drawn to scale: each stage's final [H, W], per run (a text-free Fig. 4). */
function shapesSvg(runs: readonly RunSummary[]): string {
  const scale = 5,
    gap = 18,
    rowH = 0;
  let y = 10;
  const parts: string[] = [];
  let maxW = 0;
  for (const r of runs) {
    const sizes = r.history[r.history.length - 1]?.sizes ?? [];
    const tallest = Math.max(8, ...sizes.map(([h]) => h * scale));
    parts.push(`<text x="4" y="${y + 12}" font-size="12" font-family="sans-serif">${escape(r.name)}</text>`);
    let x = 160;
    for (const [h, w] of sizes) {
      parts.push(
        `<rect x="${x}" y="${y + (tallest - h * scale) / 2 + 16}" width="${w * scale}" height="${h * scale}" fill="${r.cfg.dynopool ? '#e45756' : '#4c78a8'}" fill-opacity="0.35" stroke="#333"/>`,
      );
      parts.push(`<text x="${x}" y="${y + 12}" font-size="10" font-family="sans-serif">${h}x${w}</text>`);
      x += w * scale + gap;
    }
    maxW = Math.max(maxW, x);
    y += tallest + 30 + rowH;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${maxW + 10}" height="${y}">${parts.join('')}</svg>`;
}

export async function htmlReport(runs: readonly RunSummary[], title = 'dynopool report'): Promise<string> {
  const curves = runs.flatMap((r) =>
    r.history.flatMap((h) => [
      { run: r.name, epoch: h.epoch, metric: 'train loss', value: h.trainLoss },
      { run: r.name, epoch: h.epoch, metric: 'test loss', value: h.testLoss },
      { run: r.name, epoch: h.epoch, metric: 'test accuracy', value: h.testAcc },
      { run: r.name, epoch: h.epoch, metric: 'MMACs per image', value: h.gmacs * 1e3 },
    ]),
  );
  const sizes = runs.flatMap((r) =>
    r.history.flatMap((h) =>
      h.layers.flatMap((l, i) =>
        l.size
          ? [
              { run: r.name, layer: `DynOPool ${i + 1}`, epoch: h.epoch, axis: 'H_out', value: l.size[0] },
              { run: r.name, layer: `DynOPool ${i + 1}`, epoch: h.epoch, axis: 'W_out', value: l.size[1] },
            ]
          : [],
      ),
    ),
  );
  const charts: string[] = [];
  charts.push(
    `<h2>Learned feature-map sizes</h2><p>Each DynOPool layer's output height and width after every epoch.</p>`,
  );
  if (sizes.length) {
    charts.push(
      await svg({
        data: { values: sizes },
        facet: {
          column: { field: 'layer', type: 'nominal', title: null },
          row: { field: 'run', type: 'nominal', title: null },
        },
        spec: {
          width: 220,
          height: 150,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
            y: { field: 'value', type: 'quantitative', title: 'size' },
            color: { field: 'axis', type: 'nominal', title: null },
          },
        },
      } as vl.TopLevelSpec),
    );
  } else charts.push('<p>(no DynOPool runs)</p>');
  charts.push(
    `<h2>Final feature-map shapes</h2><p>Each stage drawn to scale (height x width), as in the paper's Fig. 4.</p>${shapesSvg(runs)}`,
  );
  charts.push('<h2>Training curves</h2>');
  charts.push(
    await svg({
      data: { values: curves },
      facet: { field: 'metric', type: 'nominal', title: null },
      columns: 2,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 300,
        height: 170,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: null },
          color: { field: 'run', type: 'nominal' },
        },
      },
    } as vl.TopLevelSpec),
  );
  const table = comparisonTable(runs);
  const configs = runs
    .map(
      (r) =>
        `<details><summary>${escape(r.name)}: configuration</summary><pre>${escape(JSON.stringify(r.cfg, null, 2))}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}pre{background:#f6f6f6;padding:.8em;overflow-x:auto}h2{margin-top:1.6em}</style>
</head><body>
<h1>${escape(title)}</h1>
<p>Runs: ${runs.map((r) => escape(r.name)).join(', ')}. Feature-map sizes are [H, W] of each stage; MMACs per image count convolutions and linear layers.</p>
<h2>Comparison (the paper's Table 1 layout)</h2>
<pre>${escape(table)}</pre>
${charts.join('\n')}
${configs}
<p><small>Generated by dynopool ${new Date().toISOString()}.</small></p>
</body></html>
`;
}

export const runName = (dir: string): string => basename(dir.replace(/\/+$/, ''));
