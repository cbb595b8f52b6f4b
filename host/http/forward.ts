/**
 * The hot path: one HTTP request under /plugins/<name>/ goes to that plugin's process and its
 * answer goes back. It works on Node's own request and response objects: building a WHATWG
 * Request for every call costs ~40% of throughput (DESIGN.md), and the host is the bottleneck.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { CONTEXT_HEADER, encodeRequestContext } from "../../schemas/request-context.ts";
import type { RequestContext } from "../../schemas/request-context.ts";
import { decodeHeaders } from "../../schemas/wire-headers.ts";
import type { ResponseMessage } from "../../schemas/messages.ts";
import type { BeforeAnswer } from "../hooks/answer.ts";
import { writeErrorAnswer } from "../hooks/answer.ts";
import type { Logger } from "../logger.ts";
import type { Supervisor } from "../supervisor.ts";
import { errorAnswer } from "./error-response.ts";
import { type ErrorResponder, jsonErrors } from "../templates/error-pages.ts";
import { readBody } from "./read-body.ts";

/** Request headers that describe this hop, not the request: never forwarded. */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
  "proxy-authorization", "proxy-authenticate",
  // Host-owned: only the host writes it (see schemas/request-context.ts).
  CONTEXT_HEADER,
]);
/** Response headers the host sets itself. */
const RESPONSE_OWNED = new Set([...HOP_BY_HOP, "content-length", "date"]);

/** Finds the supervisor for a plugin name, or undefined. */
export type SupervisorLookup = (name: string) => Supervisor | undefined;

/**
 * Forwards `incoming` to the plugin `name` and writes the answer to `outgoing`. Never throws:
 * every failure becomes an error response (`errorPage`: JSON, or an HTML page for browsers).
 * `beforeAnswer` (global afterRequest hooks) sees the status and headers of whatever is answered,
 * and may change the headers, before they are written.
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
): Promise<void> {
  try {
    const supervisor = lookup(name);
    if (supervisor === undefined) {
      throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin is mounted at /plugins/${name}/`);
    }
    const body = await readBody(incoming, supervisor.grants.maxBodyBytes, name);
    const response = await supervisor.handle({
      method: incoming.method ?? "GET",
      url: pluginRelativeUrl(incoming.url ?? "/", name),
      headers: flattenRequestHeaders(incoming.rawHeaders) +
        (context === undefined ? "" : CONTEXT_HEADER + "\n" + encodeRequestContext(context) + "\n"),
      body,
      remoteAddress: incoming.socket.remoteAddress ?? "",
    });
    const written = writeResponse(outgoing, response, beforeAnswer);
    if (written !== undefined) await written;
  } catch (error) {
    // A CorralError is an answer; anything else is a host bug, hidden from the client, logged here.
    if (!(error instanceof CorralError)) {
      log.error("internal error while forwarding", { plugin: name, error: (error as Error).stack ?? String(error) });
    }
    if (beforeAnswer !== undefined && !outgoing.headersSent) return await writeErrorAnswer(outgoing, error, beforeAnswer);
    const answer = await errorPage(error, incoming, outgoing, name, context?.requestId);
    if (!outgoing.headersSent) outgoing.writeHead(answer.status, answer.headers);
    outgoing.end(answer.body);
  }
}

/** "/plugins/hello/a?b" -> "/a?b"; "/plugins/hello" -> "/". */
export function pluginRelativeUrl(url: string, name: string): string {
  const rest = url.slice(`/plugins/${name}`.length);
  return rest === "" || rest[0] === "?" ? "/" + rest : rest;
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

/** Writes the plugin's answer; with `beforeAnswer`, once it has seen (and maybe changed) the headers. */
function writeResponse(outgoing: ServerResponse, response: ResponseMessage, beforeAnswer?: BeforeAnswer): Promise<void> | undefined {
  const headers: string[] = [];
  for (const [name, value] of decodeHeaders(response.headers)) {
    if (RESPONSE_OWNED.has(name)) continue;
    headers.push(name, value);
  }
  const status = response.status >= 200 && response.status <= 599 ? response.status : 502;
  if (beforeAnswer === undefined) return send(outgoing, status, headers, response.body);
  return beforeAnswer({ status, headers, error: null }).then(() => send(outgoing, status, headers, response.body));
}

function send(outgoing: ServerResponse, status: number, headers: string[], body: Uint8Array): undefined {
  headers.push("content-length", String(body.byteLength));
  try {
    outgoing.writeHead(status, headers);
  } catch (error) {
    // A header Node refuses (bad characters) means a broken plugin answer, not a host failure.
    const answer = errorAnswer(new CorralError(ErrorCode.HANDLER_FAILED,
      `the plugin's response could not be sent: ${(error as Error).message}`));
    outgoing.writeHead(answer.status, answer.headers);
    outgoing.end(answer.body);
    return;
  }
  outgoing.end(body);
}
