/**
 * One process per run directory: `train` holds `<dir>/.dynopool.lock` (its pid, command and start
 * time), created atomically (O_EXCL), while it runs. A second run on the same directory is
 * refused with a message naming the holder; a lock whose process is gone (a crash, kill -9) is
 * taken over with a notice. The lock is removed when the run ends, on an error, and on
 * process.exit (a second Ctrl-C).
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = '.dynopool.lock';

interface LockInfo {
  pid: number;
  command: string;
  started: string;
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return Number.isSafeInteger(info.pid) && (info.pid as number) > 0
      ? { pid: info.pid as number, command: String(info.command ?? '?'), started: String(info.started ?? '?') }
      : null;
  } catch {
    return null;
  }
}

/** Takes the lock of run directory `dir` (which must exist) for `command`, or throws. */
export function lockRun(
  dir: string,
  command: string,
  notice: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): RunLock {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
      const holder = readLock(path);
      if (holder && alive(holder.pid)) {
        throw new Error(
          `${command}: ${dir} is in use by another dynopool process (pid ${holder.pid}, ${holder.command} since ${holder.started}); wait for it to finish, stop it, or use another --out (if pid ${holder.pid} is not dynopool, delete ${path})`,
        );
      }
      notice(
        `${command}: taking over the stale lock ${path} (${holder ? `pid ${holder.pid}, ${holder.command} since ${holder.started}, is no longer running` : 'unreadable'})`,
      );
      try {
        unlinkSync(path);
      } catch {
        /* another process took it over first; retry */
      }
      continue;
    }
    const info: LockInfo = { pid: process.pid, command, started: new Date().toISOString() };
    try {
      writeSync(fd, JSON.stringify(info) + '\n');
    } finally {
      closeSync(fd);
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      // only our own lock: never one another process has taken over since
      if (readLock(path)?.pid === process.pid)
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
    };
    process.on('exit', release);
    return { path, release };
  }
}
