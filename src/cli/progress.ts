/** A one-line progress bar on stderr (only when stderr is a terminal). */
export class ProgressBar {
  private last = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(label: string, done: number, total: number, detail: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const width = 28;
    const filled = Math.round((width * done) / Math.max(total, 1));
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const line = `${label} [${bar}] ${done}/${total} ${detail}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  clear(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
