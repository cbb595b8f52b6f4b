import { runSettled } from "../on-settled.ts";

/** Counts the requests and calls one deployment is serving, so it can be drained before it stops. */
export class InFlight {
  #count = 0;
  #idle: (() => void)[] = [];

  get count(): number {
    return this.#count;
  }

  enter(): void {
    this.#count++;
  }

  leave(): void {
    this.#count--;
    if (this.#count === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.#idle.push(wake);
    });
  }

  /** Runs `work` counted (every forwarded request does: no async wrapper, see on-settled.ts). */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.enter();
    return runSettled(work, () => this.leave());
  }
}
