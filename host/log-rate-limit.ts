/**
 * Caps how many log records one plugin may put into the host's log.
 *
 * A plugin's log records (log frames, stdout and stderr lines) all go to the host's one log.
 * Unbounded, a plugin that logs in a loop fills the disk and the admin API's log ring with its
 * noise and costs the host CPU for every record (measured by the hostile corpus: ~20,000
 * records/s from one plugin, all of them written). Over the rate, records are dropped and one
 * warning per second says how many; a plugin that goes on far past it is ended, since each frame
 * still costs the host a decode.
 */

export interface LogRateLimitOptions {
  /** Records per second admitted on average. */
  readonly perSecond: number;
  /** Records admitted at once after a quiet spell. */
  readonly burst: number;
  /** Dropped records within one second past which the plugin is ended ("flood"). */
  readonly floodAfterDropped: number;
  /** Told, once a second while dropping, how many records were dropped. */
  readonly onDropped: (count: number) => void;
  readonly now?: () => number;
}

export const DEFAULT_LOG_RATE = { perSecond: 1000, burst: 2000, floodAfterDropped: 50_000 } as const;

/** A token bucket with a per-second drop report. */
export class LogRateLimit {
  readonly #options: LogRateLimitOptions;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #dropped = 0;
  #report: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LogRateLimitOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tokens = options.burst;
    this.#refilledAt = this.#now();
  }

  /** "log": write the record; "drop": do not; "flood": do not, and end the plugin. */
  admit(): "log" | "drop" | "flood" {
    const now = this.#now();
    const { perSecond, burst, floodAfterDropped } = this.#options;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) * perSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return "log";
    }
    this.#dropped++;
    this.#report ??= setTimeout(() => this.flush(), 1000);
    this.#report.unref?.();
    return this.#dropped > floodAfterDropped ? "flood" : "drop";
  }

  /** Reports the records dropped since the last report, if any, and starts a new second. */
  flush(): void {
    clearTimeout(this.#report);
    this.#report = undefined;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0) this.#options.onDropped(dropped);
  }
}
