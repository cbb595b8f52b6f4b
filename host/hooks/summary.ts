/**
 * The request summary global hooks receive (schemas/global-hooks.ts `HookRequest`), built from
 * Node's request: no body, and not the headers that describe the hop or belong to the host.
 */
import type { IncomingMessage } from "node:http";
import type { HookRequest } from "../../schemas/global-hooks.ts";
import { CONTEXT_HEADER } from "../../schemas/request-context.ts";

/** Request headers a hook never sees: hop-by-hop ones, and the host's own context header. */
const NOT_SHOWN: ReadonlySet<string> = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
  "proxy-authorization", "proxy-authenticate", CONTEXT_HEADER,
]);

/**
 * The summary of `incoming` for a request to `path` (the path the host routed on) answered by
 * `target` (null: the host), sent by `clientAddress` over HTTPS or not (`secure`), both as the host
 * reads them (host/http/middleware/client-address.ts, request-scheme.ts). `locals` starts empty;
 * the hooks fill it.
 */
export function requestSummary(incoming: IncomingMessage, path: string, target: string | null, requestId: string, clientAddress: string, secure: boolean): HookRequest {
  const url = incoming.url ?? "/";
  const queryAt = url.indexOf("?");
  const headers: Record<string, string> = {};
  // Node joins repeated headers (", ", cookies with "; ").
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined || NOT_SHOWN.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: incoming.method ?? "GET",
    path,
    query: queryAt < 0 ? "" : url.slice(queryAt + 1),
    headers,
    remoteAddress: clientAddress,
    secure,
    requestId,
    target,
    locals: {},
  };
}
