/**
 * Local request hooks: wraps a plugin app's fetch so that its `hooks` run around its own routes,
 * Flask style (before, route, after, teardown, with `onError` for failures).
 *
 * @module
 */

import { HonoRequest } from "hono/request";
import { getPath } from "hono/utils/url";
import type { RequestContext } from "../../../schemas/request-context.ts";
import { type ErrorContext, type ErrorHandlerHolder, honoDefault } from "../_error-log.ts";
import type { PluginApp, PluginContext } from "../types.ts";
import type { AfterRequestHook, BeforeRequestHook, HookContext, OneOrMany, RequestHooks, TeardownRequestHook } from "./types.ts";
import { describeValue } from "../_describe.ts";

/** The app's fetch with the hooks around it. Never rejects: every failure becomes onError's answer or a 500. */
export type HookedFetch = (request: Request, requestContext: RequestContext) => Promise<Response>;

/**
 * Installs `hooks` around `app` and returns the fetch to call instead of `app.fetch`. It wraps
 * the app's error handler (as Hono keeps it) to learn of route errors, so call it after the
 * plugin's `init` (which may set its own `app.onError()`) and before the error logger wraps it.
 */
export function withLocalHooks(app: PluginApp, hooks: RequestHooks<PluginContext>, context: PluginContext): HookedFetch {
  const before = listOf<BeforeRequestHook<PluginContext>>(hooks.beforeRequest);
  const after = listOf<AfterRequestHook<PluginContext>>(hooks.afterRequest).reverse();
  const teardown = listOf<TeardownRequestHook<PluginContext>>(hooks.teardownRequest).reverse();
  const { onError } = hooks;
  const { log } = context;
  // Route errors reach Hono's error handler, not us: it tells us through the request's env.
  const requests = new WeakMap<object, HookedRequest>();

  const answerError = async (error: unknown, request: HookedRequest, what: string): Promise<Response> => {
    if (isHttpException(error)) return error.getResponse();
    request.fail(error);
    log.error(`${request.describe()}: ${what} threw: ${messageOf(error)}`, { error: nameOf(error), stack: stackOf(error) });
    return await recover(toError(error), request);
  };
  /** onError's answer, or the plain 500 when there is none or it fails too. */
  const recover = async (error: Error, request: HookedRequest): Promise<Response> => {
    if (onError === undefined) return internalError();
    try {
      return responseOf(await onError(error, request.context), "onError");
    } catch (failure) {
      log.error(`${request.describe()}: onError threw: ${messageOf(failure)}`, { error: nameOf(failure), stack: stackOf(failure) });
      return internalError();
    }
  };

  const holder = app as unknown as ErrorHandlerHolder;
  const inner = holder.errorHandler;
  if (typeof inner === "function") {
    holder.errorHandler = (error: Error, c: ErrorContext) => {
      if (isHttpException(error)) return inner.call(app, error, c);
      const request = typeof c.env === "object" && c.env !== null ? requests.get(c.env) : undefined;
      request?.fail(error);
      // The plugin's own app.onError() answers its routes' errors; onError answers the rest.
      if (inner !== honoDefault || request === undefined) return inner.call(app, error, c);
      return recover(error, request);
    };
  }

  return async (raw, requestContext) => {
    const locals: Record<string, unknown> = { ...requestContext.locals };
    const info = Object.freeze({ requestId: requestContext.requestId, csrfToken: requestContext.csrfToken, locals, clientAddress: requestContext.clientAddress ?? "", secure: requestContext.secure === true });
    const env = Object.create(context, { request: { value: info, enumerable: true } }) as PluginContext;
    const request = new HookedRequest(raw, env, locals);
    requests.set(env, request);
    let response: Response | undefined;
    try {
      response = await runBefore(before, request.context);
    } catch (error) {
      response = await answerError(error, request, "beforeRequest");
    }
    if (response === undefined) {
      try {
        response = responseOf(await app.fetch(raw, env), "the app's fetch()");
      } catch (error) {
        // Hono answers what routes throw; this is an app that failed to answer at all.
        response = await answerError(error, request, "the app");
      }
    }
    for (const hook of after) {
      try {
        response = responseOf(await hook(request.context, response), "afterRequest", true) ?? response;
      } catch (error) {
        response = await answerError(error, request, "afterRequest");
        break;
      }
    }
    for (const hook of teardown) {
      try {
        await hook(request.context, request.error);
      } catch (error) {
        log.error(`${request.describe()}: teardownRequest threw: ${messageOf(error)}`, { error: nameOf(error), stack: stackOf(error) });
      }
    }
    return response;
  };
}

/** The first `beforeRequest` answer, or undefined when they all let the request through. */
async function runBefore(hooks: readonly BeforeRequestHook<PluginContext>[], c: HookContext<PluginContext>): Promise<Response | undefined> {
  for (const hook of hooks) {
    const answer = responseOf(await hook(c), "beforeRequest", true);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** One request's hook state: its context for the hooks, and its first error. */
class HookedRequest {
  readonly context: HookContext<PluginContext>;
  #failed = false;
  #error: unknown;

  constructor(request: Request, env: PluginContext, locals: Record<string, unknown>) {
    this.context = new Context(request, env, locals);
  }

  /** The first error of the request (teardown gets it), undefined when there was none. */
  get error(): unknown {
    return this.#error;
  }

  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
  }

  describe(): string {
    return `${this.context.req.method} ${this.context.req.path}`;
  }
}

class Context implements HookContext<PluginContext> {
  readonly env: PluginContext;
  readonly locals: Record<string, unknown>;
  readonly #request: Request;
  #req: HonoRequest | undefined;

  constructor(request: Request, env: PluginContext, locals: Record<string, unknown>) {
    this.#request = request;
    this.env = env;
    this.locals = locals;
  }

  // Made on first use: most hooks never look at the request.
  get req(): HonoRequest {
    return this.#req ??= new HonoRequest(this.#request, getPath(this.#request));
  }

  json(value: unknown, status = 200, headers?: HeadersInit): Response {
    return Response.json(value, { status, headers });
  }

  text(text: string, status = 200, headers?: HeadersInit): Response {
    const all = new Headers(headers);
    if (!all.has("content-type")) all.set("content-type", "text/plain; charset=UTF-8");
    return new Response(text, { status, headers: all });
  }
}

function listOf<F>(value: OneOrMany<F> | undefined): F[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value as F];
}

function responseOf(value: unknown, what: string): Response;
function responseOf(value: unknown, what: string, optional: true): Response | undefined;
function responseOf(value: unknown, what: string, optional = false): Response | undefined {
  if (value instanceof Response) return value;
  if (optional && value === undefined) return undefined;
  throw new TypeError(`${what} returned ${describeValue(value)} instead of a Response${optional ? " or nothing" : ""}`);
}

function internalError(): Response {
  return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain; charset=UTF-8" } });
}

function isHttpException(error: unknown): error is { getResponse(): Response } {
  return error instanceof Error && "getResponse" in error && typeof error.getResponse === "function";
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(`a non-Error was thrown: ${describeValue(error)}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : describeValue(error);
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

