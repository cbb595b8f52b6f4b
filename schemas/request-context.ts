/**
 * What the host knows about one request and hands to the plugin that answers it: the request id,
 * the CSRF token of the browser session, and the values global `beforeRequest` hooks attached
 * (for example the signed-in user). It travels as one host-owned request header, so the hot
 * path's hand-written codec stays as it is; the host always drops a client's own copy of that
 * header, so a client can never forge it.
 *
 * @module
 */

/** The request header that carries the context; never accepted from a client. */
export const CONTEXT_HEADER = "corral-context";

/** Host-provided values of one request, as the plugin sees them. */
export interface RequestContext {
  /** The request's id (the incoming `x-request-id` when valid, else one the host made). */
  readonly requestId: string;
  /** The CSRF token a form on this page must send back ("" when the host's CSRF check is off). */
  readonly csrfToken: string;
  /** Values global `beforeRequest` hooks attached, by name (e.g. `user`). */
  readonly locals: Readonly<Record<string, unknown>>;
  /**
   * The W3C `traceparent` of the host's span that hands this request to the plugin (when the
   * host exports traces), or the client's own valid one (when it does not); absent otherwise.
   * Send it on outgoing `fetch` calls to continue the trace.
   */
  readonly traceparent?: string;
  /** The W3C `tracestate` that goes with `traceparent`, when there is one. */
  readonly tracestate?: string;
  /**
   * Who sent the request, as the host reads it: the socket's peer, or the client a proxy the
   * host policy trusts (`http.trustedProxies`) names in `X-Forwarded-For`. Not in the header:
   * it travels in the request message's own `remoteAddress` field, and the plugin's runner puts
   * it here ("" when unknown).
   */
  readonly clientAddress?: string;
  /**
   * Whether the client reached the host over TLS: the host's own socket is TLS, or a proxy the
   * host policy trusts said `X-Forwarded-Proto: https`. A client's own header never counts. The
   * host writes it only when true; the plugin's runner reads it as a boolean and builds the
   * request URL with `https:` when it is set.
   */
  readonly secure?: boolean;
}

const NO_LOCALS: Readonly<Record<string, unknown>> = Object.freeze({});

/** A context with no values, for requests that did not come through the host (tests). */
export const EMPTY_CONTEXT: RequestContext = Object.freeze({ requestId: "", csrfToken: "", locals: NO_LOCALS, clientAddress: "", secure: false });

/** The header value for `context`: JSON, which never holds a raw line break. */
export function encodeRequestContext(context: RequestContext): string {
  return JSON.stringify(context);
}

/**
 * Reads the header value back, with `clientAddress` from the request message; anything missing
 * or malformed gives {@linkcode EMPTY_CONTEXT}'s fields, since only the host writes it.
 */
export function decodeRequestContext(value: string | null | undefined, clientAddress = ""): RequestContext {
  if (value === null || value === undefined || value === "") return withAddress(EMPTY_CONTEXT, clientAddress);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return withAddress(EMPTY_CONTEXT, clientAddress);
  }
  if (typeof parsed !== "object" || parsed === null) return withAddress(EMPTY_CONTEXT, clientAddress);
  const raw = parsed as Record<string, unknown>;
  const { traceparent, tracestate } = raw;
  const requestId = typeof raw.requestId === "string" ? raw.requestId : "";
  const csrfToken = typeof raw.csrfToken === "string" ? raw.csrfToken : "";
  // Frozen in place: the parsed object is this context's own, nothing else holds it.
  const locals = typeof raw.locals === "object" && raw.locals !== null && !Array.isArray(raw.locals)
    ? Object.freeze(raw.locals as Record<string, unknown>)
    : NO_LOCALS;
  const secure = raw.secure === true;
  // One literal per shape, no spreads of temporary objects: this runs for every request.
  const traced = typeof traceparent === "string";
  const stated = typeof tracestate === "string";
  return Object.freeze(
    traced && stated
      ? { requestId, csrfToken, locals, traceparent, tracestate, clientAddress, secure }
      : traced
      ? { requestId, csrfToken, locals, traceparent, clientAddress, secure }
      : stated
      ? { requestId, csrfToken, locals, tracestate, clientAddress, secure }
      : { requestId, csrfToken, locals, clientAddress, secure },
  );
}

/** `context` with another client address (the same object when it has that one already). */
function withAddress(context: RequestContext, clientAddress: string): RequestContext {
  return context.clientAddress === clientAddress ? context : Object.freeze({ ...context, clientAddress });
}
