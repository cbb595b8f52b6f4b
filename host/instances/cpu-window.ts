/**
 * CPU use over a sliding window, from the cumulative CPU times that `sampleTree` reads from /proc.
 * A quota judged over a window (not per sample) lets a plugin burst, e.g. while it compiles or
 * answers one heavy request, and still stops one that keeps a core busy.
 */

/** The window when the policy names none: long enough that a start-up or one slow request never trips it. */
export const DEFAULT_CPU_WINDOW_MS = 10_000;

interface Point {
  readonly at: number;
  readonly cpuMs: number;
}

export class CpuWindow {
  readonly #windowMs: number;
  #points: Point[] = [];

  constructor(windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError(`the CPU window must be a positive number of milliseconds, got ${windowMs}`);
    this.#windowMs = windowMs;
  }

  /**
   * Adds a sample (wall clock ms, cumulative CPU ms of the tree) and returns the CPU percent
   * since the oldest sample still in the window (100 = one core), or null before the second sample.
   */
  add(at: number, cpuMs: number): number | null {
    this.#points.push({ at, cpuMs });
    // Keep one point at or before the window's start, so a full window is measured whole.
    while (this.#points.length > 2 && this.#points[1]!.at <= at - this.#windowMs) this.#points.shift();
    return this.percent;
  }

  /** CPU percent over the span held (rounded to one decimal), null before two samples. */
  get percent(): number | null {
    if (this.#points.length < 2 || this.spanMs <= 0) return null;
    return Math.round((this.spentMs / this.spanMs) * 1000) / 10;
  }

  /** Wall time between the oldest and newest sample held. */
  get spanMs(): number {
    return this.#points.length < 2 ? 0 : this.#points.at(-1)!.at - this.#points[0]!.at;
  }

  /** CPU time spent between the oldest and newest sample held (never negative: a new tree restarts at 0). */
  get spentMs(): number {
    return this.#points.length < 2 ? 0 : Math.max(0, this.#points.at(-1)!.cpuMs - this.#points[0]!.cpuMs);
  }

  /** True once the samples span the whole window: only then is the quota judged. */
  get full(): boolean {
    return this.spanMs >= this.#windowMs;
  }
}
