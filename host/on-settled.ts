/**
 * Bookkeeping when a promise settles, for the request path: one derived promise, where
 * `promise.finally(done)` makes three and an async wrapper with try/finally two more turns
 * (D33-perf).
 */

/** `promise`, with `done` called once it settles (before anything chained on the result runs). */
export function onSettled<T>(promise: Promise<T>, done: () => void): Promise<T> {
  return promise.then(
    (value) => {
      done();
      return value;
    },
    (error: unknown) => {
      done();
      throw error;
    },
  );
}
