/**
 * The shapes of request hooks: local ones (`definePlugin({ hooks })`, around the plugin's own
 * routes, in its process) and global ones (`definePlugin({ globalHooks })`, run by the host for
 * requests to other plugins and to the host). `Ctx` is the plugin's context type, normally
 * `PluginContext` (or `PluginContext<DB>` for a typed `db`); it is a parameter so that this
 * module does not import types.ts, which imports it.
 *
 * @module
 */

import type { HonoRequest } from "hono/request";
import type { HookRequest } from "../../../schemas/global-hooks.ts";

/**
 * What a local hook gets for one request: the request as Hono's `c.req`, the plugin's context as
 * its handlers see it in `c.env`, and this request's `locals`.
 *
 * @example
 * ```ts
 * import { definePlugin, type HookContext, type PluginContext } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * function requireLogin(c: HookContext<PluginContext>) {
 *   if (c.locals.user === undefined) return c.json({ error: "log in first" }, 401);
 * }
 *
 * export default definePlugin({ app: new Hono(), hooks: { beforeRequest: requireLogin } });
 * ```
 */
export interface HookContext<Ctx> {
  /**
   * The request, with Hono's helpers: `c.req.header("cookie")`, `c.req.query("page")`,
   * `c.req.path`, `c.req.method`, `c.req.raw` (the fetch `Request`). Route parameters are not
   * known yet. Reading the body here consumes it: the route then cannot; read
   * `c.req.raw.clone()` instead.
   */
  readonly req: HonoRequest;
  /** The plugin's context (`PluginContext`), as the handlers see it in `c.env` (with `env.request.locals` = {@linkcode HookContext.locals}). */
  readonly env: Ctx;
  /**
   * This request's values, like Flask's `g`: set them in `beforeRequest`, read them in handlers
   * as `c.env.request.locals`. Starts with what global hooks attached.
   */
  readonly locals: Record<string, unknown>;
  /** A JSON response, as Hono's `c.json()`. */
  json(value: unknown, status?: number, headers?: HeadersInit): Response;
  /** A text response, as Hono's `c.text()`. */
  text(text: string, status?: number, headers?: HeadersInit): Response;
}

/**
 * One hook, or several that run in the order given (for `afterRequest` and `teardownRequest`: in
 * reverse, as Flask does).
 *
 * @example
 * ```ts
 * import type { BeforeRequestHook, OneOrMany, PluginContext } from "@corral/sdk";
 *
 * const before: OneOrMany<BeforeRequestHook<PluginContext>> = [
 *   (c) => void (c.locals.startedAt = Date.now()),
 *   (c) => void (c.locals.lang = c.req.header("accept-language") ?? "en"),
 * ];
 * ```
 */
export type OneOrMany<F> = F | readonly F[];

/**
 * Runs before the route. Return a `Response` to answer the request without running the route
 * (the remaining `beforeRequest` hooks are skipped too); return nothing to go on.
 *
 * @example
 * ```ts
 * import type { BeforeRequestHook, PluginContext } from "@corral/sdk";
 *
 * const onlyJson: BeforeRequestHook<PluginContext> = (c) => {
 *   if (c.req.method === "POST" && c.req.header("content-type") !== "application/json") {
 *     return c.json({ error: "send JSON" }, 415);
 *   }
 * };
 * ```
 */
export type BeforeRequestHook<Ctx> = (c: HookContext<Ctx>) => Response | void | Promise<Response | void>;

/**
 * Runs after the route (or the `beforeRequest` hook that answered, or `onError`), with the
 * response. Return a `Response` to send that one instead, or nothing to keep it (changing
 * `response.headers` in place works too).
 *
 * @example
 * ```ts
 * import type { AfterRequestHook, PluginContext } from "@corral/sdk";
 *
 * const noStore: AfterRequestHook<PluginContext> = (_c, response) => {
 *   response.headers.set("cache-control", "no-store");
 * };
 * ```
 */
export type AfterRequestHook<Ctx> = (
  c: HookContext<Ctx>,
  response: Response,
) => Response | void | Promise<Response | void>;

/**
 * Runs at the end of every request, also after an error (the first error of the request is
 * given, else `undefined`). What it throws is only logged: release resources here.
 *
 * @example
 * ```ts
 * import type { TeardownRequestHook, PluginContext } from "@corral/sdk";
 *
 * const timing: TeardownRequestHook<PluginContext> = (c, error) => {
 *   c.env.log.info("request done", { path: c.req.path, failed: error !== undefined });
 * };
 * ```
 */
export type TeardownRequestHook<Ctx> = (c: HookContext<Ctx>, error: unknown) => void | Promise<void>;

/**
 * Turns an error thrown by a route or a hook into a response. Without it the answer is a plain
 * 500 "Internal Server Error"; the error (with its stack) goes to the plugin's log, never to the
 * client. An `app.onError()` of the plugin's own Hono app still answers its routes' errors first.
 *
 * @example
 * ```ts
 * import type { ErrorHook, PluginContext } from "@corral/sdk";
 *
 * const jsonErrors: ErrorHook<PluginContext> = (_error, c) => c.json({ error: "something went wrong" }, 500);
 * ```
 */
export type ErrorHook<Ctx> = (error: Error, c: HookContext<Ctx>) => Response | Promise<Response>;

/**
 * A plugin's request hooks for its own routes, Flask style: `beforeRequest` hooks in order, the
 * route, `afterRequest` hooks in reverse order, then `teardownRequest` hooks, always.
 *
 * @example
 * ```ts
 * import { definePlugin } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * export default definePlugin({
 *   app: new Hono(),
 *   hooks: {
 *     beforeRequest: (c) => void (c.locals.startedAt = Date.now()),
 *     afterRequest: (c, response) => response.headers.set("x-took-ms", String(Date.now() - (c.locals.startedAt as number))),
 *     teardownRequest: (c, error) => {
 *       if (error !== undefined) c.env.log.warn("request failed", { path: c.req.path });
 *     },
 *     onError: (_error, c) => c.json({ error: "internal error" }, 500),
 *   },
 * });
 * ```
 */
export interface RequestHooks<Ctx> {
  readonly beforeRequest?: OneOrMany<BeforeRequestHook<Ctx>>;
  readonly afterRequest?: OneOrMany<AfterRequestHook<Ctx>>;
  readonly teardownRequest?: OneOrMany<TeardownRequestHook<Ctx>>;
  readonly onError?: ErrorHook<Ctx>;
}

/**
 * A request to another plugin (or to the host) as a global hook sees it: no body; the path is
 * the full path on the host, e.g. `/plugins/notes/list`.
 *
 * @example
 * ```ts
 * import type { GlobalRequest } from "@corral/sdk";
 *
 * function userOf(request: GlobalRequest): string | undefined {
 *   return request.cookie("session") ?? request.header("x-api-user");
 * }
 * ```
 */
export interface GlobalRequest extends HookRequest {
  // The fields are the protocol's request summary (schemas/global-hooks.ts `HookRequest`).
  /** One header's value, by case-insensitive name. */
  header(name: string): string | undefined;
  /** One cookie's value (decoded), from the `cookie` header (only in `beforeRequest`). */
  cookie(name: string): string | undefined;
}

/**
 * What a global `beforeRequest` hook answers: nothing (go on), `{ locals }` (go on, and attach
 * these JSON values for the hooks after it and for the target plugin, which reads them as
 * `c.env.request.locals`), or a `Response` that the host sends instead of calling the target.
 * A short-circuit response's body is sent as text.
 *
 * @example
 * ```ts
 * import type { BeforeRequestResult } from "@corral/sdk";
 *
 * const go: BeforeRequestResult = { locals: { user: { id: 7, name: "ada" } } };
 * const stop: BeforeRequestResult = new Response("log in first", { status: 401 });
 * ```
 */
export type BeforeRequestResult = void | undefined | { readonly locals: Readonly<Record<string, unknown>> } | Response;

/**
 * The response as a global `afterRequest` hook sees it. Change `headers` in place to change the
 * response's headers; the status and the body cannot be changed. `content-length`, `date` and
 * hop-by-hop headers belong to the host and are neither shown nor changeable.
 *
 * @example
 * ```ts
 * import type { GlobalResponse } from "@corral/sdk";
 *
 * function secure(response: GlobalResponse): void {
 *   response.headers.set("x-frame-options", "DENY");
 *   response.headers.delete("x-powered-by");
 * }
 * ```
 */
export interface GlobalResponse {
  readonly status: number;
  readonly headers: Headers;
}

/**
 * How a request ended, for a global `teardownRequest` hook.
 *
 * @example
 * ```ts
 * import type { RequestOutcome } from "@corral/sdk";
 *
 * const failed = (outcome: RequestOutcome) => outcome.error !== null || outcome.status >= 500;
 * ```
 */
export interface RequestOutcome {
  /** The status sent (0 when nothing could be sent). */
  readonly status: number;
  /** The host's error when it answered with one (`CORRAL_E_REQUEST_TIMEOUT`...), else null. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Milliseconds from the first global hook to the end of the response. */
  readonly durationMs: number;
}

/**
 * Hooks the host runs for requests to OTHER plugins and to the host itself (not `/admin`, not
 * `/health`), e.g. an auth plugin that identifies the user for everyone. Each kind must also be
 * declared in the manifest's `globalHooks` (priority, timeoutMs, paths); the host calls none
 * that is not. A plugin's own routes never get its global hooks, only its local `hooks`.
 *
 * Failure policy: a `beforeRequest` that throws, answers something invalid, times out, or whose
 * plugin is not ready makes the request fail with 503 `CORRAL_E_HOOK_FAILED` (fail closed: the
 * target is not called). A failed `afterRequest` leaves the response as it was; a failed
 * `teardownRequest` is only logged. All failures are counted in `/health`.
 *
 * @example
 * ```ts
 * import { definePlugin } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * export default definePlugin({
 *   app: new Hono(),
 *   globalHooks: {
 *     beforeRequest(request) {
 *       const user = request.cookie("user");
 *       if (user === undefined && request.path.startsWith("/plugins/admin-ui/")) {
 *         return new Response("log in first", { status: 401 });
 *       }
 *       return { locals: { user: user ?? null } };
 *     },
 *     afterRequest(_request, response) {
 *       response.headers.set("x-content-type-options", "nosniff");
 *     },
 *     teardownRequest(request, outcome, ctx) {
 *       ctx.log.info("served", { path: request.path, status: outcome.status });
 *     },
 *   },
 * });
 * ```
 */
export interface GlobalRequestHooks<Ctx> {
  readonly beforeRequest?: (
    request: GlobalRequest,
    ctx: Ctx,
  ) => BeforeRequestResult | Promise<BeforeRequestResult>;
  readonly afterRequest?: (
    request: GlobalRequest,
    response: GlobalResponse,
    ctx: Ctx,
  ) => void | Promise<void>;
  readonly teardownRequest?: (
    request: GlobalRequest,
    outcome: RequestOutcome,
    ctx: Ctx,
  ) => void | Promise<void>;
}
