/**
 * The trace context of the request a piece of plugin code is running for, so that what it asks of
 * the host on the request's behalf (database statements) is tagged with it and the host's spans
 * for that work join the request's trace. Carried by AsyncLocalStorage through every `await` of
 * the handler; set only for requests that came with a `traceparent`.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

const current = new AsyncLocalStorage<string>();

/** Runs `work` with `traceparent` as the current request's trace context (as is, when there is none). */
export function withRequestTrace<T>(traceparent: string | undefined, work: () => T): T {
  return traceparent === undefined || traceparent === "" ? work() : current.run(traceparent, work);
}

/** The `traceparent` of the request the caller runs for; undefined outside one. */
export function currentTraceparent(): string | undefined {
  return current.getStore();
}
