/**
 * The global-hook part of `@corral/sdk/testing`: call a plugin's `globalHooks` as the host does
 * (same entry points, same JSON, same header rules), without a host.
 *
 * @module
 */

import {
  type BeforeRequestAnswer,
  GLOBAL_HOOK_METHODS,
  type HeaderEdits,
  type HookOutcome,
  type HookRequest,
  parseAfterRequestAnswer,
  parseBeforeRequestAnswer,
  withoutCredentials,
} from "../../../schemas/global-hooks.ts";
import type { StartedPlugin } from "../_internal.ts";

/**
 * The request a test hands a global hook; every field is optional. Defaults: `GET /`, no query,
 * no headers, `remoteAddress` "127.0.0.1", `secure` false, `requestId` "test-request", `target` "other-plugin",
 * no locals.
 *
 * @example
 * ```ts
 * import type { TestHookRequest } from "@corral/sdk/testing";
 *
 * const request: TestHookRequest = { path: "/plugins/notes/", headers: { cookie: "session=ada" } };
 * ```
 */
export type TestHookRequest = Partial<HookRequest>;

/**
 * Runs a plugin's global hooks as the host would. Answers are the wire answers the host reads,
 * checked as the host checks them; `afterRequest` and `teardownRequest` get the request without
 * `cookie` and `authorization`, as from the host.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { testPlugin } from "@corral/sdk/testing";
 * import plugin from "./mod.ts";
 *
 * Deno.test("the auth hook attaches the user from the session cookie", async () => {
 *   await using auth = await testPlugin(plugin);
 *   const answer = await auth.globalHooks.beforeRequest({ headers: { cookie: "user=ada" } });
 *   deepStrictEqual(answer, { action: "continue", locals: { user: "ada" } });
 * });
 * ```
 */
export interface TestGlobalHooks {
  /** `{ action: "continue", locals? }`, or `{ action: "respond", status, headers, body }` for a short-circuit. */
  beforeRequest(request?: TestHookRequest): Promise<BeforeRequestAnswer>;
  /** The header changes: `{ remove: [names], set: [[name, value]...] }`. */
  afterRequest(request?: TestHookRequest, response?: { status?: number; headers?: HeadersInit }): Promise<HeaderEdits>;
  /** Resolves when the hook has run; rejects with what it threw. */
  teardownRequest(request?: TestHookRequest, outcome?: Partial<HookOutcome>): Promise<void>;
}

/** The {@linkcode TestGlobalHooks} of a started plugin. */
export function testGlobalHooks(plugin: StartedPlugin): TestGlobalHooks {
  const call = async (method: string, payload: unknown): Promise<unknown> =>
    // Through JSON both ways, as over the wire.
    JSON.parse(JSON.stringify(await plugin.handleCall(method, JSON.parse(JSON.stringify(payload)))) ?? "null");
  return {
    async beforeRequest(request = {}) {
      return parseBeforeRequestAnswer(await call(GLOBAL_HOOK_METHODS.beforeRequest, { request: summary(request) }));
    },
    async afterRequest(request = {}, response = {}) {
      const payload = {
        request: withoutCredentials(summary(request)),
        response: { status: response.status ?? 200, headers: [...new Headers(response.headers)] },
      };
      return parseAfterRequestAnswer(await call(GLOBAL_HOOK_METHODS.afterRequest, payload));
    },
    async teardownRequest(request = {}, outcome = {}) {
      const payload = {
        request: withoutCredentials(summary(request)),
        outcome: { status: 200, error: null, durationMs: 0, ...outcome },
      };
      await call(GLOBAL_HOOK_METHODS.teardownRequest, payload);
    },
  };
}

function summary(request: TestHookRequest): HookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: request.method ?? "GET",
    path: request.path ?? "/",
    query: request.query ?? "",
    headers,
    remoteAddress: request.remoteAddress ?? "127.0.0.1",
    secure: request.secure ?? false,
    requestId: request.requestId ?? "test-request",
    target: request.target === undefined ? "other-plugin" : request.target,
    locals: request.locals ?? {},
  };
}
