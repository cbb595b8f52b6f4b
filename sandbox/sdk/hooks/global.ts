/**
 * The plugin's global hook entry points (`hooks.beforeRequest`, `hooks.afterRequest`,
 * `hooks.teardownRequest`): turn the host's JSON payload into what the author's hook takes, and
 * its result into the JSON answer the host expects (schemas/global-hooks.ts).
 *
 * @module
 */

import { parse as parseCookies } from "hono/utils/cookie";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import {
  type BeforeRequestAnswer,
  checkLocals,
  type GlobalHookKind,
  type HeaderEdits,
  type HeaderPairs,
  type HookOutcome,
  type HookRequest,
  parseBeforeRequestAnswer,
} from "../../../schemas/global-hooks.ts";
import type { PluginInternals } from "../_plugin-internals.ts";
import type { PluginContext } from "../types.ts";
import type { GlobalRequest, GlobalRequestHooks } from "./types.ts";

/** `hooks.beforeRequest`: the author's answer as `{action: "continue", locals?}` or `{action: "respond", ...}`. */
export async function globalBeforeRequest(plugin: PluginInternals, payload: unknown): Promise<BeforeRequestAnswer> {
  const hook = hookOf(plugin, "beforeRequest");
  const { request } = payloadOf(payload);
  const result: unknown = await hook(globalRequest(request), plugin.context);
  if (result === undefined || result === null) return { action: "continue" };
  if (result instanceof Response) {
    return parseBeforeRequestAnswer({
      action: "respond",
      status: result.status,
      headers: [...result.headers],
      body: await result.text(),
    });
  }
  if (typeof result === "object" && !Array.isArray(result) && Object.keys(result).every((key) => key === "locals")) {
    const { locals } = result as { locals?: unknown };
    return locals === undefined ? { action: "continue" } : { action: "continue", locals: checkLocals(locals) };
  }
  throw new TypeError(`globalHooks.beforeRequest must return nothing, { locals } or a Response, got ${describe(result)}`);
}

/** `hooks.afterRequest`: the header changes the author made to `response.headers`. */
export async function globalAfterRequest(plugin: PluginInternals, payload: unknown): Promise<HeaderEdits> {
  const hook = hookOf(plugin, "afterRequest");
  const { request, response } = payloadOf(payload) as { request: HookRequest; response?: { status?: unknown; headers?: unknown } };
  const status = typeof response?.status === "number" ? response.status : 0;
  const headers = new Headers(Array.isArray(response?.headers) ? response.headers as HeaderPairs as [string, string][] : []);
  const before = snapshot(headers);
  await hook(globalRequest(request), { status, headers }, plugin.context);
  return diff(before, snapshot(headers));
}

/** `hooks.teardownRequest`: runs the author's hook; the host ignores the answer. */
export async function globalTeardownRequest(plugin: PluginInternals, payload: unknown): Promise<null> {
  const hook = hookOf(plugin, "teardownRequest");
  const { request, outcome } = payloadOf(payload) as { request: HookRequest; outcome?: HookOutcome };
  await hook(globalRequest(request), outcome ?? { status: 0, error: null, durationMs: 0 }, plugin.context);
  return null;
}

function hookOf<K extends GlobalHookKind>(plugin: PluginInternals, kind: K): NonNullable<GlobalRequestHooks<PluginContext>[K]> {
  const hook = plugin.definition.globalHooks?.[kind];
  if (typeof hook !== "function") {
    throw new CorralError(
      ErrorCode.CALL_UNKNOWN,
      `plugin "${plugin.context.name}" declares globalHooks.${kind} in its plugin.json but its definePlugin() has no ` +
        `globalHooks.${kind}; add the function, or remove the declaration`,
    );
  }
  return hook;
}

function payloadOf(payload: unknown): { request: HookRequest } & Record<string, unknown> {
  const request = (payload as { request?: unknown } | null)?.request;
  if (typeof request !== "object" || request === null) {
    throw new TypeError(`a global hook's payload must be { request, ... }, got ${describe(payload)}`);
  }
  return payload as { request: HookRequest } & Record<string, unknown>;
}

/** The author's view of the host's request summary: the same fields, plus `header()` and `cookie()`. */
export function globalRequest(summary: HookRequest): GlobalRequest {
  const headers = Object.freeze({ ...(summary.headers ?? {}) });
  let cookies: Record<string, string> | undefined;
  return Object.freeze({
    method: String(summary.method ?? "GET"),
    path: String(summary.path ?? "/"),
    query: String(summary.query ?? ""),
    headers,
    remoteAddress: String(summary.remoteAddress ?? ""),
    secure: summary.secure === true,
    requestId: String(summary.requestId ?? ""),
    target: typeof summary.target === "string" ? summary.target : null,
    locals: Object.freeze({ ...(summary.locals ?? {}) }),
    header: (name: string) => headers[name.toLowerCase()],
    cookie: (name: string) => (cookies ??= parseCookies(headers.cookie ?? ""))[name],
  });
}

/** name -> values, in order; `Headers` iterates `set-cookie` one value at a time. */
function snapshot(headers: Headers): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const values = map.get(name);
    if (values === undefined) map.set(name, [value]);
    else values.push(value);
  }
  return map;
}

function diff(before: Map<string, string[]>, after: Map<string, string[]>): HeaderEdits {
  const remove = [...before.keys()].filter((name) => !after.has(name));
  const set: [string, string][] = [];
  for (const [name, values] of after) {
    const old = before.get(name);
    if (old !== undefined && old.length === values.length && old.every((value, i) => value === values[i])) continue;
    for (const value of values) set.push([name, value]);
  }
  return { remove, set };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${JSON.stringify(Object.keys(value).slice(0, 5))}`;
  return typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : typeof value;
}
