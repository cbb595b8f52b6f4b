/**
 * Slows down password guessing: after `maxFailures` failed logins for one user name from one
 * address within `windowMs`, further attempts for that pair are refused until the oldest failure
 * leaves the window. Kept in memory per host: a guesser spread over N hosts gets N times the
 * attempts, still a handful per quarter hour (docs/admin-api.md).
 */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Pairs tracked at most; beyond it the stalest are forgotten (a flood of made-up names). */
const MAX_KEYS = 10_000;

export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: { maxFailures?: number; windowMs?: number; now?: () => number } = {}) {
    this.#maxFailures = options.maxFailures ?? LOGIN_MAX_FAILURES;
    this.#windowMs = options.windowMs ?? LOGIN_WINDOW_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds to wait before `user` may try again from `address`; 0 when they may try now. */
  retryAfterSeconds(user: string, address: string): number {
    const recent = this.#recent(key(user, address));
    if (recent.length < this.#maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.#windowMs - this.#now()) / 1000));
  }

  failed(user: string, address: string): void {
    const k = key(user, address);
    const recent = this.#recent(k);
    recent.push(this.#now());
    this.#failures.delete(k);
    this.#failures.set(k, recent);
    if (this.#failures.size > MAX_KEYS) this.#failures.delete(this.#failures.keys().next().value!);
  }

  succeeded(user: string, address: string): void {
    this.#failures.delete(key(user, address));
  }

  #recent(k: string): number[] {
    const cutoff = this.#now() - this.#windowMs;
    return (this.#failures.get(k) ?? []).filter((t) => t > cutoff);
  }
}

function key(user: string, address: string): string {
  return `${user.toLowerCase()}\u0000${address}`;
}
