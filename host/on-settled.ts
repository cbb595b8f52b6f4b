/**
 * Bookkeeping when a promise settles, for the request path: one derived promise, where
 * `promise.finally(done)` makes three and an async wrapper with try/finally two more turns
 * (D33-perf).
 */

/** `promise`, with `done` called once it settles (before anything chained on the result runs). */
function onSettled<T>(promise: Promise<T>, done: () => void): Promise<T> {
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

/**
 * `work()`, with `done` called once its promise settles; a `work` that throws instead of
 * returning a promise is a rejection, and `done` is still called once.
 */
export function runSettled<T>(work: () => Promise<T>, done: () => void): Promise<T> {
  let result: Promise<T>;
  try {
    result = work();
  } catch (error) {
    result = Promise.reject(error);
  }
  return onSettled(result, done);
}
