/**
 * The request id: the client's (or a proxy's) `x-request-id` when it is sane, else a new UUID.
 * It is echoed in the response, written in the access log and handed to the plugin.
 */
import { randomUUID } from "node:crypto";

/** The request and response header that carries the id. */
export const REQUEST_ID_HEADER = "x-request-id";

// Short and plain, so an id can go into a log line or a header without escaping.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id for a request whose `x-request-id` header is `incoming`.
 *
 * @example
 * ```ts
 * requestIdFor("req-42");       // "req-42"
 * requestIdFor("a b\u0000");    // a new UUID such as "0b7c…"
 * requestIdFor(undefined);      // a new UUID
 * ```
 */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && SANE_ID.test(incoming) ? incoming : randomUUID();
}
