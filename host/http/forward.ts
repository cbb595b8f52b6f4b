/**
 * The hot path: one HTTP request under /plugins/<name>/ goes to that plugin's process and its
 * answer goes back. It works on Node's own request and response objects: building a WHATWG
 * Request for every call costs ~40% of throughput (DESIGN.md), and the host is the bottleneck.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { CONTEXT_HEADER, encodeRequestContext } from "../../schemas/request-context.ts";
import type { RequestContext } from "../../schemas/request-context.ts";
import type { BeforeAnswer } from "../hooks/answer.ts";
import { writeErrorAnswer } from "../hooks/answer.ts";
import type { Logger } from "../logger.ts";
import type { PluginLookup } from "../plugins/plugin-handle.ts";
import { errorAnswer, errorCodeOf } from "./error-response.ts";
import { incomingTraceHeaders } from "../tracing/trace-context.ts";
import type { TraceHeaders } from "./middleware/exchange-trace.ts";
import { type ErrorResponder, jsonErrors } from "../templates/error-pages.ts";
import type { Exchange } from "./middleware/exchange.ts";
import { pluginHeaderList, sendPluginResponse, writePluginResponse } from "./middleware/plugin-response.ts";
import { EMPTY_BODY, hasNoBody, readBody } from "./read-body.ts";

/** Request headers that describe this hop, not the request: never forwarded. */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
  "proxy-authorization", "proxy-authenticate",
  // Host-owned: only the host writes it (see schemas/request-context.ts).
  CONTEXT_HEADER,
]);

/** Finds the running plugin for a name, or undefined. */
export type SupervisorLookup = PluginLookup;

/**
 * Forwards `incoming` to the plugin `name` and writes the answer to `outgoing`. Never throws:
 * every failure becomes an error response (`errorPage`: JSON, or an HTML page for browsers).
 * `beforeAnswer` (global afterRequest hooks) sees the status and headers of whatever is answered,
 * and may change the headers, before they are written.
 * With an `exchange` (the host's middleware, see host/http/middleware/), a fresh cached answer
 * is sent without asking the plugin, the CSRF check runs before the plugin sees the request,
 * and the answer gets the host's headers.
 */
export async function forward(
  name: string,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  lookup: SupervisorLookup,
  log: Logger,
  context?: RequestContext,
  errorPage: ErrorResponder = jsonErrors,
  beforeAnswer?: BeforeAnswer,
  exchange?: Exchange,
): Promise<void> {
  try {
    const supervisor = lookup(name);
    if (supervisor === undefined) {
      throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin is mounted at /plugins/${name}/`);
    }
    if (exchange !== undefined) {
      exchange.plugin = name;
      const cached = exchange.cachedResponse(name);
      if (cached !== undefined) return await sendPluginResponse(exchange, cached.status, cached.headers as string[], cached.body, cached);
    }
    const tokenInForm = exchange?.checkCsrfBeforeBody() ?? false;
    // A request without a body (most GETs) does not wait a turn for it.
    const body = hasNoBody(incoming) ? EMPTY_BODY : await readBody(incoming, supervisor.grants.maxBodyBytes, name);
    if (exchange !== undefined) {
      exchange.bytesIn = body.byteLength;
      if (tokenInForm) await exchange.checkCsrfForm(body);
    }
    // The plugin continues the trace: the host's forward span when it traces, else the client's own context.
    const span = exchange?.trace?.forward(name);
    const traced = context === undefined ? undefined : withTrace(context, span ?? incomingTraceHeaders(incoming.headers));
    let response: Awaited<ReturnType<typeof supervisor.handle>>;
    try {
      response = await supervisor.handle({
        method: incoming.method ?? "GET",
        url: pluginRelativeUrl(incoming.url ?? "/", name),
        headers: flattenRequestHeaders(incoming.rawHeaders) +
          (traced === undefined ? "" : CONTEXT_HEADER + "\n" + encodeRequestContext(traced) + "\n"),
        body,
        // The plugin's c.env.request.clientAddress: behind a trusted proxy, the proxy's client.
        remoteAddress: exchange?.clientAddress ?? incoming.socket.remoteAddress ?? "",
      });
    } catch (error) {
      span?.end(0, errorCodeOf(error));
      throw error;
    }
    span?.end(response.status);
    const headers = pluginHeaderList(response.headers);
    // Global afterRequest hooks see (and may edit) the headers before anything is written.
    if (beforeAnswer !== undefined) await beforeAnswer({ status: response.status, headers, error: null });
    if (exchange !== undefined) return await sendPluginResponse(exchange, response.status, headers, response.body);
    headers.push("content-length", String(response.body.byteLength));
    writePluginResponse(outgoing, response.status, headers, response.body);
  } catch (error) {
    if (exchange !== undefined) exchange.errorCode = errorCodeOf(error);
    // A CorralError is an answer; anything else is a host bug, hidden from the client, logged here.
    if (!(error instanceof CorralError)) {
      log.error("internal error while forwarding", { plugin: name, error: (error as Error).stack ?? String(error) });
    }
    if (beforeAnswer !== undefined && !outgoing.headersSent) return await writeErrorAnswer(outgoing, error, beforeAnswer);
    const answer = await errorPage(error, incoming, outgoing, name, context?.requestId);
    if (!outgoing.headersSent) outgoing.writeHead(answer.status, exchange === undefined ? answer.headers : exchange.hostHeaders(answer.headers));
    outgoing.end(answer.body);
  }
}

/** The request context with the trace context the plugin continues, when there is one. */
function withTrace(context: RequestContext, trace: TraceHeaders | undefined): RequestContext {
  if (trace === undefined) return context;
  return { ...context, traceparent: trace.traceparent, ...(trace.tracestate === undefined ? {} : { tracestate: trace.tracestate }) };
}

/**
 * "/plugins/hello/a?b" -> "/a?b"; "/plugins/hello" -> "/". The router matched a normalized URL
 * (dot segments resolved, `%73` read as "s"), so a raw URL that needs it is normalized the same
 * way before the mount is cut off; the plain case costs no URL parse.
 */
export function pluginRelativeUrl(url: string, name: string): string {
  const mount = `/plugins/${name}`;
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  const plain = path.startsWith(mount) && (path.length === mount.length || path[mount.length] === "/") &&
    !path.includes("%") && !path.includes("/.");
  if (plain) {
    const rest = url.slice(mount.length);
    return rest === "" || rest[0] === "?" ? "/" + rest : rest;
  }
  const normalized = new URL(url, "http://corral.invalid");
  // Past "/plugins/<segment>": whatever spelling the name had in the raw URL.
  const afterMount = normalized.pathname.indexOf("/", "/plugins/".length);
  return (afterMount < 0 ? "/" : normalized.pathname.slice(afterMount)) + normalized.search;
}

/** Node's rawHeaders ([name, value, name, value...]) -> the protocol's flat header string. */
export function flattenRequestHeaders(raw: readonly string[]): string {
  let out = "";
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    out += name + "\n" + raw[i + 1] + "\n";
  }
  return out;
}
