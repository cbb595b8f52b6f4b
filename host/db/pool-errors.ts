/**
 * A Postgres server that goes away (a restart, a fast shutdown, Ctrl-C reaching an embedded
 * server) must not take the host with it. node-postgres emits `error` on a client whose
 * connection dies, and with no listener Node throws it out of the event loop:
 * - an idle pooled client: the pool's own `error` event, logged here;
 * - a checked-out client: the pool removes its idle listener while the client is lent out, and
 *   the failure already reaches the caller as its query's rejected promise, so the event itself
 *   only needs a listener that keeps it from crashing the process.
 */
import type pg from "pg";

export function survivePoolErrors(pool: pg.Pool, onIdleError: (error: Error) => void): void {
  pool.on("error", (error) => {
    // Once the pool is ending (end() does not wait for sockets to close) connections dropped by a
    // server shutting down are expected.
    if (!pool.ending) onIdleError(error);
  });
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
}
