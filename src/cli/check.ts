/**
 * `dynopool check`: the package's gradient properties on this machine (src/testing/check.ts),
 * printed as an op x backend matrix. The testing module (and fast-check, its peer dependency)
 * is loaded only when the command runs, so `dynopool train` never needs fast-check.
 */
import { InvalidArgumentError, type Command } from 'commander';

const nonNegativeInt =
  (name: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > 2 ** 31 - 1)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };

/** Adds the `check` command to `cli`. */
export function addCheckCommand(cli: Command): void {
  cli
    .command('check')
    .description(
      "verify every differentiable op's gradient on every backend here: float64 gradcheck, and each float32 backend against the float64 reference; prints the op x backend matrix, exits 1 on a failure",
    )
    .option(
      '--seed <n>',
      'property seed (default: FC_SEED or the fixed seed of dynopool tests)',
      nonNegativeInt('--seed', 0),
    )
    .option('--runs <n>', 'random problems per cell', nonNegativeInt('--runs', 1), 3)
    .option('--op <names...>', 'only these ops (matrix row names, e.g. conv2d matmul)')
    .option('--backend <names...>', "only these columns (e.g. 'float64 gradcheck' gpu:webasm)")
    .action(async (opts: { seed?: number; runs: number; op?: string[]; backend?: string[] }) => {
      let testing: typeof import('../testing/index.js');
      try {
        testing = await import('../testing/index.js');
      } catch (e) {
        if (e instanceof Error && /fast-check/.test(e.message))
          throw new Error('check needs fast-check (a peer dependency of dynopool/testing): npm install fast-check', {
            cause: e,
          });
        throw e;
      }
      const { OP_CHECKS, checkOps, formatMatrix } = testing;
      const ops = opts.op
        ? OP_CHECKS.filter((o) => opts.op?.some((n) => o.name === n || o.name.startsWith(`${n} `)))
        : OP_CHECKS;
      if (opts.op && ops.length === 0)
        throw new InvalidArgumentError(`--op matches none of: ${OP_CHECKS.map((o) => o.name).join(', ')}`);
      const matrix = checkOps(ops, {
        seed: opts.seed,
        runs: opts.runs,
        backends: opts.backend,
        onCell: () => process.stderr.isTTY && process.stderr.write('.'),
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(formatMatrix(matrix));
      if (!matrix.ok) process.exitCode = 1;
    });
}
