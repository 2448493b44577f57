/**
 * Learning-rate schedules with linear warmup. A schedule maps a step count to a factor that
 * multiplies each group's initial lr; call `step()` once per epoch or per iteration (your
 * choice of unit, consistently with `total` / `stepSize`).
 */
import type { Optimizer } from './optimizer.js';

/** A learning-rate schedule: constant, step decay or cosine, each with an optional warmup. */
export type ScheduleSpec =
  | { kind: 'constant'; warmup?: number }
  | { kind: 'cosine'; total: number; warmup?: number; minFactor?: number }
  | { kind: 'step'; stepSize: number; gamma?: number; warmup?: number };

/** The lr factor after `t` steps. */
export function scheduleFactor(spec: ScheduleSpec, t: number): number {
  const warmup = spec.warmup ?? 0;
  if (t < warmup) return (t + 1) / (warmup + 1);
  const u = t - warmup;
  switch (spec.kind) {
    case 'constant':
      return 1;
    case 'cosine': {
      const span = Math.max(1, spec.total - warmup);
      const min = spec.minFactor ?? 0;
      return min + (1 - min) * 0.5 * (1 + Math.cos((Math.PI * Math.min(u, span)) / span));
    }
    case 'step':
      return (spec.gamma ?? 0.1) ** Math.floor(u / spec.stepSize);
  }
}

/** Scales every group's base learning rate by `scheduleFactor(spec, t)` at each `step()`. */
export class LRScheduler {
  t = 0;
  constructor(
    readonly optimizer: Optimizer,
    readonly spec: ScheduleSpec,
  ) {
    if (spec.kind === 'cosine' && !(spec.total > 0))
      throw new Error(`LRScheduler: cosine needs total > 0, got ${spec.total}`);
    if (spec.kind === 'step' && !(spec.stepSize > 0))
      throw new Error(`LRScheduler: step needs stepSize > 0, got ${spec.stepSize}`);
    this.apply();
  }

  /** Advances one step and sets every group's learning rate. */
  step(): void {
    this.t++;
    this.apply();
  }

  private apply(): void {
    const f = scheduleFactor(this.spec, this.t);
    for (const g of this.optimizer.groups) g.lr = g.initialLr * f;
  }

  /** The step count and the schedule, for checkpoints. */
  stateDict(): { t: number; spec: ScheduleSpec } {
    return { t: this.t, spec: this.spec };
  }

  /** Restores the step count from `stateDict()`. */
  loadStateDict(sd: { t: number }): void {
    if (!Number.isInteger(sd.t) || sd.t < 0) throw new Error(`LRScheduler.loadStateDict: invalid step ${sd.t}`);
    this.t = sd.t;
    this.apply();
  }
}
