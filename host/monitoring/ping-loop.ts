/**
 * Pings a ready plugin every `intervalMs`; two missed pings in a row (no pong within `timeoutMs`)
 * mean the process is stuck (an endless loop, a deadlocked event loop) and it is reported as
 * unresponsive so the supervisor kills and restarts it. One missed ping is tolerated: a plugin
 * busy in a long synchronous handler for a moment is not dead.
 */

/** What the loop needs of a process: a ping that resolves true on a pong within the timeout. */
export interface Pingable {
  ping(timeoutMs: number): Promise<boolean>;
}

export interface PingLoopOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Misses in a row that make the process unresponsive. */
  readonly maxMisses?: number;
  /** Each answered ping's round trip, in milliseconds. */
  readonly onPong?: (latencyMs: number) => void;
  /** Called once, when `maxMisses` pings in a row went unanswered; the loop has stopped. */
  readonly onUnresponsive: (message: string) => void;
}

/** Starts the loop; returns the function that stops it. */
export function startPingLoop(target: Pingable, options: PingLoopOptions): () => void {
  const maxMisses = options.maxMisses ?? 2;
  let misses = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, options.intervalMs);
    timer.unref();
  };
  const tick = () => {
    const sentAt = performance.now();
    void target.ping(options.timeoutMs).then((alive) => {
      if (stopped) return;
      if (alive) {
        misses = 0;
        options.onPong?.(performance.now() - sentAt);
        schedule();
        return;
      }
      misses++;
      if (misses >= maxMisses) {
        stopped = true;
        options.onUnresponsive(
          `missed ${misses} liveness pings in a row (every ${options.intervalMs} ms, ${options.timeoutMs} ms to answer)`);
        return;
      }
      schedule();
    });
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
