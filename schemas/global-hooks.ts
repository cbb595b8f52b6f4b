/**
 * The contract of global request hooks: the entry points the host calls on a hook plugin
 * (`hooks.beforeRequest`, `hooks.afterRequest`, `hooks.teardownRequest`), their JSON payloads
 * and answers, and the checks both sides apply to an answer. The host checks every answer again
 * before it uses it: a hook plugin is trusted with what it sees, not with what it says.
 *
 * @module
 */

/** The kinds of global hook, in the order they run within one request. */
export const GLOBAL_HOOK_KINDS = Object.freeze(["beforeRequest", "afterRequest", "teardownRequest"] as const);

/** One kind of global hook. */
export type GlobalHookKind = typeof GLOBAL_HOOK_KINDS[number];

/** The entry point the host calls for each kind. */
export const GLOBAL_HOOK_METHODS: Readonly<Record<GlobalHookKind, string>> = Object.freeze({
  beforeRequest: "hooks.beforeRequest",
  afterRequest: "hooks.afterRequest",
  teardownRequest: "hooks.teardownRequest",
});

/**
 * What a global hook learns about a request. No body: hooks decide on the request line and the
 * headers. `afterRequest` and `teardownRequest` get the headers without `cookie` and
 * `authorization`: only `beforeRequest`, which identifies the caller, sees credentials.
 */
export interface HookRequest {
  readonly method: string;
  /** The path the host routed on: percent-decoded, dot segments resolved, no query. */
  readonly path: string;
  /** The raw query string without its "?", "" when there is none. */
  readonly query: string;
  /** Lower-case names; repeated headers joined with ", " (cookies with "; "); hop-by-hop headers left out. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The client's address as the host reads it ("" when unknown): the socket's peer, or the client
   * a proxy the host policy trusts names in `X-Forwarded-For` (the same value as a handler's
   * `c.env.request.clientAddress`).
   */
  readonly remoteAddress: string;
  /**
   * Whether the request came over HTTPS as the host decides it: a TLS socket, or a proxy the host
   * policy trusts saying so in `X-Forwarded-Proto` (the same value as `c.env.request.secure`).
   */
  readonly secure: boolean;
  /** The request's id ("" when the host assigns none). */
  readonly requestId: string;
  /** The plugin the request is for, or null when the host answers it itself. */
  readonly target: string | null;
  /** What earlier hooks attached (for `afterRequest` and `teardownRequest`: all of it). */
  readonly locals: Readonly<Record<string, unknown>>;
}

/** Request headers only `beforeRequest` sees: the others have no business with credentials. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["cookie", "authorization"]);

/** `request` without {@linkcode CREDENTIAL_HEADERS}, for `afterRequest` and `teardownRequest`. */
export function withoutCredentials(request: HookRequest): HookRequest {
  const { headers } = request;
  if (!("cookie" in headers) && !("authorization" in headers)) return request;
  const kept: Record<string, string> = {};
  for (const name in headers) if (!CREDENTIAL_HEADERS.has(name)) kept[name] = headers[name]!;
  return { ...request, headers: kept };
}

/** `hooks.beforeRequest`'s payload. */
export interface BeforeRequestPayload {
  readonly request: HookRequest;
}

/** A header list that keeps repeated names (e.g. several `set-cookie`): `[name, value]` pairs. */
export type HeaderPairs = readonly (readonly [string, string])[];

/** `hooks.beforeRequest`'s answer: go on (attaching `locals`), or answer the request instead of its target. */
export type BeforeRequestAnswer =
  | { readonly action: "continue"; readonly locals?: Readonly<Record<string, unknown>> }
  | { readonly action: "respond"; readonly status: number; readonly headers: HeaderPairs; readonly body: string };

/** The response as `afterRequest` sees it: no body, and not the headers the host sets itself. */
export interface HookResponse {
  readonly status: number;
  readonly headers: HeaderPairs;
}

/** `hooks.afterRequest`'s payload. */
export interface AfterRequestPayload {
  readonly request: HookRequest;
  readonly response: HookResponse;
}

/**
 * `hooks.afterRequest`'s answer: response headers to remove (every value of each name) and to
 * set (a name in `set` replaces all earlier values of that name; repeat it for several values).
 * null means no change.
 */
export interface HeaderEdits {
  readonly remove: readonly string[];
  readonly set: HeaderPairs;
}

/** How a request ended, for `teardownRequest`. */
export interface HookOutcome {
  /** The status sent (0 when nothing could be sent). */
  readonly status: number;
  /** The host's error when the answer was one (a timeout, a crash, a failed hook...), else null. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Milliseconds from the first hook to the end of the response. */
  readonly durationMs: number;
}

/** `hooks.teardownRequest`'s payload; its answer is ignored. */
export interface TeardownRequestPayload {
  readonly request: HookRequest;
  readonly outcome: HookOutcome;
}

/** Largest `locals` a hook may attach, as JSON: they travel with every request to the target. */
export const MAX_LOCALS_BYTES = 64 * 1024;

/** Largest body a `beforeRequest` short-circuit may carry. */
export const MAX_HOOK_BODY_BYTES = 1024 * 1024;

/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: no control characters but tab (no CR, LF or NUL). */
const HEADER_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]*$/;

/**
 * Checks a `hooks.beforeRequest` answer. null (or undefined) means continue.
 *
 * @throws TypeError naming what is wrong with the answer.
 */
export function parseBeforeRequestAnswer(value: unknown): BeforeRequestAnswer {
  if (value === null || value === undefined) return { action: "continue" };
  const answer = objectOf(value, "the answer");
  if (answer.action === "continue") {
    if (answer.locals === undefined || answer.locals === null) return { action: "continue" };
    return { action: "continue", locals: checkLocals(answer.locals) };
  }
  if (answer.action !== "respond") {
    throw new TypeError(`the answer's action must be "continue" or "respond", got ${preview(answer.action)}`);
  }
  const { status, body } = answer;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new TypeError(`a response's status must be an integer from 200 to 599, got ${preview(status)}`);
  }
  if (typeof body !== "string") throw new TypeError(`a response's body must be a string, got ${preview(body)}`);
  if (body.length > MAX_HOOK_BODY_BYTES) {
    throw new TypeError(`a response's body must be at most ${MAX_HOOK_BODY_BYTES} characters, got ${body.length}`);
  }
  return { action: "respond", status, headers: checkPairs(answer.headers ?? [], "the response's headers"), body };
}

/**
 * Checks a `hooks.afterRequest` answer. null (or undefined) means no change.
 *
 * @throws TypeError naming what is wrong with the answer.
 */
export function parseAfterRequestAnswer(value: unknown): HeaderEdits {
  if (value === null || value === undefined) return NO_EDITS;
  const answer = objectOf(value, "the answer");
  const remove = answer.remove ?? [];
  if (!Array.isArray(remove) || !remove.every((name) => typeof name === "string" && HEADER_NAME.test(name))) {
    throw new TypeError(`the answer's "remove" must be an array of header names, got ${preview(remove)}`);
  }
  const set = checkPairs(answer.set ?? [], `the answer's "set"`);
  return { remove: remove.map((name: string) => name.toLowerCase()), set };
}

/** No header changes. */
export const NO_EDITS: HeaderEdits = Object.freeze({ remove: Object.freeze([]), set: Object.freeze([]) });

/**
 * Checks that `value` can be attached as locals: a plain JSON object of at most
 * {@linkcode MAX_LOCALS_BYTES}, returned as a copy made through JSON.
 *
 * @throws TypeError naming what is wrong.
 */
export function checkLocals(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`locals must be a JSON object like {"user": …}, got ${preview(value)}`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`locals must be JSON-serializable: ${(error as Error).message}`);
  }
  if (json.length > MAX_LOCALS_BYTES) {
    throw new TypeError(`locals must be at most ${MAX_LOCALS_BYTES} bytes of JSON, got ${json.length}`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function checkPairs(value: unknown, what: string): HeaderPairs {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of [name, value] pairs, got ${preview(value)}`);
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      throw new TypeError(`${what} must be an array of [name, value] pairs of strings, got ${preview(pair)}`);
    }
    if (!HEADER_NAME.test(pair[0])) throw new TypeError(`${what}: ${preview(pair[0])} is not a valid header name`);
    if (!HEADER_VALUE.test(pair[1])) throw new TypeError(`${what}: the value of "${pair[0]}" holds a control character`);
  }
  return value.map(([name, headerValue]: [string, string]) => [name.toLowerCase(), headerValue] as const);
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be a JSON object or null, got ${preview(value)}`);
  }
  return value as Record<string, unknown>;
}

function preview(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
