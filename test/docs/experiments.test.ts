/**
 * docs/experiments.md's commands, parsed by the command-line program as a user would type them
 * (without training: the `train` action is replaced by one that records its options), so the page
 * cannot drift from the CLI's options and choices; and its table has a row for every run the
 * commands make.
 */
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/program.js';
import { readDoc } from './blocks.js';

const page = readDoc('docs/experiments.md');
const bash = /^```bash\n([\s\S]*?)^```/m.exec(page)![1];
const commands = bash
  .split('\n')
  .filter((l) => l.startsWith('npx dynopool '))
  .map((l) => l.replace(/^npx dynopool /, '').split(/\s+/));

/** Parses one command line; returns the options `train` would have run with. */
async function parseTrain(args: string[]): Promise<Record<string, unknown>> {
  const quiet = { writeOut: () => {}, writeErr: () => {} };
  const cli = program().exitOverride().configureOutput(quiet);
  let got: Record<string, unknown> | null = null;
  cli.commands
    .find((c) => c.name() === 'train')!
    .exitOverride()
    .configureOutput(quiet)
    .action((opts: Record<string, unknown>) => {
      got = opts;
    });
  await cli.parseAsync(['node', 'dynopool', ...args]);
  return got!;
}

describe('docs/experiments.md', () => {
  const trains = commands.filter((c) => c[0] === 'train');

  it('trains human and DynOPool (lambda 0 and 0.5) on each of the three transforms, and reports them', () => {
    expect(trains).toHaveLength(9);
    expect(commands.filter((c) => c[0] === 'report')).toHaveLength(1);
  });

  it('every train command parses with the CLI, and its run has a row in the table', async () => {
    const runs = new Set<string>();
    for (const args of trains) {
      const opts = await parseTrain(args);
      const name = String(opts.out).split('/').pop()!;
      const kind = !opts.dynopool ? 'human' : opts.lambda === 0 ? 'dynopool' : 'dynopool-l05';
      expect(name, args.join(' ')).toBe(`${String(opts.transform)}-${kind}`);
      expect(opts.dataset).toBe('fashion-mnist');
      expect(page, name).toMatch(new RegExp(`^\\| ${name} +\\|`, 'm'));
      runs.add(name);
    }
    expect(runs.size).toBe(9);
  });

  it('a wrong option in a command would fail to parse (the check above can fail)', async () => {
    await expect(parseTrain(['train', '--transform', 'squash'])).rejects.toThrow(/squash/);
  });
});
