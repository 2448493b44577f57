/**
 * Ctrl-C during a long step (issue #13 item 3): runInterruptibly, and what the trainer saves.
 * A SIGINT must reach a main thread, so each case runs test/support/interrupt-child.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

function child(args: string[]) {
  const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/interrupt-child.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  return p;
}

interface Finished {
  code: number | null;
  result: Record<string, unknown>;
  stderr: string;
}

async function finish(p: ReturnType<typeof child>, onStdout?: (all: string) => void): Promise<Finished> {
  let stdout = '',
    stderr = '';
  p.stdout.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout);
  });
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { code, result: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {}, stderr };
}

describe('runInterruptibly', () => {
  it('SIGINT stops a busy function at once; the tidy scopes and grad mode are restored; the process goes on', async () => {
    const p = child(['helper']);
    let sent = false;
    const { code, result, stderr } = await finish(p, (all) => {
      if (!sent && all.includes('ready')) {
        sent = true;
        setTimeout(() => p.kill('SIGINT'), 300);
      }
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(result).toEqual({
      completed: false, // the 60 s loop did not run out
      finallyRan: false, // termination runs no finally: the caveat the helper documents
      interrupted: true,
      message: 'interrupted by Ctrl-C (SIGINT)',
      gradEnabled: true,
      scopeDepth: 0, // put back although noGrad's and tidy's finally never ran
      handlerCalls: 0,
      handlers: 1, // the SIGINT went to the interrupt, not to the JS handler, which is back
      passes: 42,
      rethrown: true, // a value passes through, and so does an ordinary error
    });
  });
});

describe('trainer with interruptible', () => {
  it('a step interrupted mid-forward saves the state before the batch, bit for bit; an interrupted evaluation saves batch = batches; both resume exactly', async () => {
    const { code, result, stderr } = await finish(child(['trainer', mkdtempSync(join(tmpdir(), 'dynopool-int-'))]));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(result).toEqual({
      step: {
        stopped: true,
        interrupted: { phase: 'step', epoch: 1, batch: 2, batches: 4 },
        history: 1,
        checkpoint: { epoch: 1, batch: 2, steps: 6 },
        // the same as a run stopped between batches 2 and 3: the batchnorm statistics the
        // interrupted forward pass had replaced were put back
        sameAsBetween: true,
        resumedSame: true,
      },
      evaluation: {
        stopped: true,
        interrupted: { phase: 'evaluation', epoch: 0, batch: 4, batches: 4 },
        history: 0,
        checkpoint: { epoch: 0, batch: 4, steps: 4 },
        resumedSame: true,
      },
      gradEnabled: true,
      scopeDepth: 0,
    });
  });
});
