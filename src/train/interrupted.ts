/** Thrown by `runInterruptibly` (src/train/interrupt.ts) when Ctrl-C (SIGINT) stopped the function. */
export class Interrupted extends Error {
  readonly signal = 'SIGINT';
  constructor() {
    super('interrupted by Ctrl-C (SIGINT)');
    this.name = 'Interrupted';
  }
}
