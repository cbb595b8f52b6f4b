/**
 * Runs one `request` message through the plugin's app and makes the message that answers it.
 *
 * @module
 */

import { ErrorCode } from "../schemas/errors.ts";
import type { ErrorMessage, RequestMessage, ResponseMessage } from "../schemas/messages.ts";
import { messageOf } from "./error-message.ts";
import { toRequestAndContext } from "./http-bridge.ts";
import type { RequestContext } from "../schemas/request-context.ts";
import { encodeHeaders } from "./protocol/headers.ts";
import { withRequestTrace } from "./request-trace.ts";
import { bufferResponse, type StartedPlugin } from "./sdk/_internal.ts";

/**
 * The answer to `request`: a `response` (a handler's exception included: Hono turns it into a
 * 500 and the plugin's log gets the error), or an `error` with the request's id when the request
 * cannot be built (`CORRAL_E_PROTOCOL_VIOLATION`) or the app fails to produce a response at all
 * (`CORRAL_E_HANDLER_FAILED`, also logged). A body over `maxBodyBytes` is answered with a 502
 * `CORRAL_E_RESPONSE_TOO_LARGE` and a warning in the log. Never rejects.
 */
export async function answerRequest(
  plugin: StartedPlugin,
  request: RequestMessage,
  maxBodyBytes: number,
): Promise<ResponseMessage | ErrorMessage> {
  const { id } = request;
  let fetchRequest: Request;
  let context: RequestContext;
  try {
    ({ request: fetchRequest, context } = toRequestAndContext(request));
  } catch (error) {
    return {
      type: "error",
      id,
      code: ErrorCode.PROTOCOL_VIOLATION,
      message: `Request ${id} is malformed: ${messageOf(error)}`,
    };
  }
  const { log, name } = plugin.context;
  try {
    // Database statements the handler sends are tagged with the request's trace (database-link.ts).
    const { traceparent } = context;
    const response = await (traceparent === undefined
      ? plugin.fetch(fetchRequest, context)
      : withRequestTrace(traceparent, () => plugin.fetch(fetchRequest, context)));
    const out = await bufferResponse(response, maxBodyBytes, () => describe(name, request));
    if (out.tooLarge) {
      log.warn(`${describe(name, request)}: the response body is over ${maxBodyBytes} bytes; sent 502 ${ErrorCode.RESPONSE_TOO_LARGE}`);
    }
    return { type: "response", id, status: out.status, headers: encodeHeaders(out.headers), body: out.body };
  } catch (error) {
    const message = `${request.method} ${pathOf(request.url)} failed: ${messageOf(error)}`;
    log.error(message, { stack: error instanceof Error ? error.stack : undefined });
    return { type: "error", id, code: ErrorCode.HANDLER_FAILED, message };
  }
}

/** The request as the size limit's messages name it (made only when they are). */
function describe(name: string, request: RequestMessage): string {
  return `plugin "${name}" answering ${request.method} ${pathOf(request.url)}`;
}

/** The path of a request url without its query, which may carry secrets, for messages and logs. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}
