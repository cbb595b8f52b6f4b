/**
 * Runs plugins' global request hooks around requests to other plugins and to the host:
 * beforeRequest (may attach locals or answer instead of the target; fails closed), afterRequest
 * (may change response headers; fails open), teardownRequest (after the response; only logged).
 * The rules are in docs/writing-plugins.md, "Request hooks".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import {
  GLOBAL_HOOK_KINDS,
  GLOBAL_HOOK_METHODS,
  type GlobalHookKind,
  type HookRequest,
  parseAfterRequestAnswer,
  parseBeforeRequestAnswer,
  withoutCredentials,
} from "../../schemas/global-hooks.ts";
import type { RequestContext } from "../../schemas/request-context.ts";
import type { Logger } from "../logger.ts";
import { IDENTITY_KEY } from "../access/identity.ts";
import { type Answer, type BeforeAnswer, writeAnswer, writeErrorAnswer } from "./answer.ts";
import { applyHeaderEdits, visiblePairs } from "./header-edits.ts";
import { type HookManifest, orderGlobalHooks, type OrderedGlobalHook } from "../plugins/global-hook-order.ts";
import { selectHooks } from "./select.ts";
import { type HookHealth, HookStats } from "./stats.ts";
import { requestSummary } from "./summary.ts";

/** What the hooks need of a plugin: its entry points (a Supervisor fits). */
export interface HookPlugin {
  /** @throws CorralError PLUGIN_UNAVAILABLE when not ready, CALL_TIMEOUT, CALL_FAILED, CALL_UNKNOWN... */
  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

export interface GlobalHooksOptions {
  /** The running plugin of that name; undefined once it is uninstalled (its hooks then stop). */
  readonly lookup: (name: string) => HookPlugin | undefined;
  readonly log: Logger;
  /** Whether the host trusts this plugin's `locals.identity` (host/access/); nobody's when missing. */
  readonly mayProvideIdentity?: (plugin: string) => boolean;
}

/** Sends the request on to its target (forward()) with the context the hooks built. */
export type SendOn = (context: RequestContext, beforeAnswer: BeforeAnswer) => Promise<void>;

/** The ids the host gives a request (request id, CSRF token): the context without `locals`. */
export type RequestIds = Omit<RequestContext, "locals">;

/** What the hooks are told of a request besides its headers: its ids and who sent it. */
export interface HookedRequestIds extends RequestIds {
  /** The client's address as the host reads it (the hooks' `request.remoteAddress`). */
  readonly clientAddress: string;
}

export class GlobalHooks {
  readonly #options: GlobalHooksOptions;
  readonly #stats = new HookStats();
  #order: Readonly<Record<GlobalHookKind, readonly OrderedGlobalHook[]>> = { beforeRequest: [], afterRequest: [], teardownRequest: [] };
  #none = true;

  constructor(options: GlobalHooksOptions) {
    this.#options = options;
  }

  /** Sets the plugins whose hooks run (the loaded ones), in the order of host/plugins/global-hook-order.ts. */
  configure(manifests: readonly HookManifest[]): void {
    const order = Object.fromEntries(GLOBAL_HOOK_KINDS.map((kind) => [kind, orderGlobalHooks(manifests, kind)]));
    this.#order = order as Record<GlobalHookKind, readonly OrderedGlobalHook[]>;
    this.#none = GLOBAL_HOOK_KINDS.every((kind) => this.#order[kind].length === 0);
    this.#stats.declare(GLOBAL_HOOK_KINDS.flatMap((kind) => this.#order[kind].map((entry) => ({ ...entry, kind }))));
  }

  /**
   * The hooks for a request to `path` (the path the host routed on) answered by plugin `target`
   * (null: the host itself), or undefined when none applies: the request then goes on as if
   * there were no hooks, at no cost.
   */
  match(path: string, target: string | null): HookedRequest | undefined {
    if (this.#none) return undefined;
    const before = selectHooks(this.#order.beforeRequest, path, target);
    const after = selectHooks(this.#order.afterRequest, path, target);
    const teardown = selectHooks(this.#order.teardownRequest, path, target);
    if (before.length === 0 && after.length === 0 && teardown.length === 0) return undefined;
    return new HookedRequest({ ...this.#options, stats: this.#stats }, path, target, before, after, teardown);
  }

  /** Every declared hook with its counters, in running order per kind, for /health. */
  health(): readonly HookHealth[] {
    return this.#stats.report();
  }
}

interface RunOptions extends GlobalHooksOptions {
  readonly stats: HookStats;
}

/** The outcome of the beforeRequest hooks. */
type Verdict =
  | { readonly kind: "continue" }
  | { readonly kind: "respond"; readonly status: number; readonly headers: readonly (readonly [string, string])[]; readonly body: string }
  | { readonly kind: "refuse"; readonly error: CorralError };

/** One request's run through its hooks. */
export class HookedRequest {
  readonly #options: RunOptions;
  readonly #path: string;
  readonly #target: string | null;
  readonly #before: readonly OrderedGlobalHook[];
  readonly #after: readonly OrderedGlobalHook[];
  readonly #teardown: readonly OrderedGlobalHook[];
  /** Null prototype: a hook's "__proto__" key is a plain key, not a prototype. */
  readonly #locals: Record<string, unknown> = Object.create(null);
  /** Which plugin set each key of #locals. */
  readonly #owners = new Map<string, string>();

  constructor(
    options: RunOptions,
    path: string,
    target: string | null,
    before: readonly OrderedGlobalHook[],
    after: readonly OrderedGlobalHook[],
    teardown: readonly OrderedGlobalHook[],
  ) {
    this.#options = options;
    this.#path = path;
    this.#target = target;
    this.#before = before;
    this.#after = after;
    this.#teardown = teardown;
  }

  /**
   * Runs the request through its hooks: the beforeRequest hooks, then `sendOn` (unless a hook
   * answered or failed), with the afterRequest hooks applied to whatever answer is written, then
   * the teardownRequest hooks in the background. Never rejects.
   */
  async run(incoming: IncomingMessage, outgoing: ServerResponse, ids: HookedRequestIds, sendOn: SendOn): Promise<void> {
    const started = performance.now();
    const { clientAddress, ...contextIds } = ids;
    const request = requestSummary(incoming, this.#path, this.#target, ids.requestId, clientAddress, ids.secure === true);
    let outcome: Answer | undefined;
    const beforeAnswer: BeforeAnswer = async (answer) => {
      outcome = answer;
      await this.#runAfter(request, answer);
    };
    try {
      const verdict = await this.#runBefore(request);
      if (verdict.kind === "continue") {
        await sendOn({ ...contextIds, locals: this.#locals }, beforeAnswer);
      } else if (verdict.kind === "respond") {
        // The hook's own content-length, date or hop-by-hop headers are not its to set.
        const headers = visiblePairs(verdict.headers.flat()).flat();
        await writeAnswer(outgoing, { status: verdict.status, headers, error: null }, verdict.body, beforeAnswer);
      } else {
        await writeErrorAnswer(outgoing, verdict.error, beforeAnswer);
      }
    } finally {
      if (this.#teardown.length > 0) {
        const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
        // Not awaited: the response has gone out, and teardown must never delay it.
        void this.#runTeardown(request, { status: outcome?.status ?? 0, error: outcome?.error ?? null, durationMs });
      }
    }
  }

  async #runBefore(request: HookRequest): Promise<Verdict> {
    const { lookup, stats } = this.#options;
    for (const { plugin, hook } of this.#before) {
      const hookPlugin = lookup(plugin);
      if (hookPlugin === undefined) continue; // uninstalled since the host started
      const started = performance.now();
      let answer;
      try {
        const raw = await hookPlugin.call(GLOBAL_HOOK_METHODS.beforeRequest, { request: { ...request, locals: this.#locals } }, hook.timeoutMs);
        answer = parseBeforeRequestAnswer(raw);
      } catch (error) {
        this.#failed("beforeRequest", plugin, hook.timeoutMs, error);
        return { kind: "refuse", error: refusal(plugin, this.#target, hook.timeoutMs, error) };
      }
      stats.succeeded("beforeRequest", plugin, performance.now() - started);
      if (answer.action === "respond") {
        stats.shortCircuited(plugin);
        return { kind: "respond", status: answer.status, headers: answer.headers, body: answer.body };
      }
      if (answer.locals !== undefined) this.#attach(plugin, answer.locals);
    }
    return { kind: "continue" };
  }

  /** Merges a hook's locals; a key an earlier hook set keeps its value, so no hook can replace another's `user`. */
  #attach(plugin: string, locals: Readonly<Record<string, unknown>>): void {
    for (const [key, value] of Object.entries(locals)) {
      if (key === IDENTITY_KEY && !(this.#options.mayProvideIdentity?.(plugin) ?? false)) {
        // Route roles trust locals.identity: only a granted provider may set it (docs/security.md).
        this.#options.log.forPlugin(plugin).warn(
          "global beforeRequest hook: locals.identity is reserved for a plugin the host policy lists in identity.providers; dropped",
          { path: this.#path },
        );
        continue;
      }
      const owner = this.#owners.get(key);
      if (owner !== undefined && owner !== plugin) {
        this.#options.log.forPlugin(plugin).warn(
          `global beforeRequest hook: locals.${key} was already set by plugin "${owner}", which runs earlier; kept that value. Use a key of your own`,
          { path: this.#path, key, owner },
        );
        continue;
      }
      this.#owners.set(key, plugin);
      this.#locals[key] = value;
    }
  }

  async #runAfter(request: HookRequest, answer: Answer): Promise<void> {
    if (this.#after.length === 0) return;
    const { lookup, stats } = this.#options;
    const shown = withoutCredentials({ ...request, locals: this.#locals });
    for (const { plugin, hook } of this.#after) {
      const hookPlugin = lookup(plugin);
      if (hookPlugin === undefined) continue;
      const started = performance.now();
      try {
        const response = { status: answer.status, headers: visiblePairs(answer.headers) };
        const raw = await hookPlugin.call(GLOBAL_HOOK_METHODS.afterRequest, { request: shown, response }, hook.timeoutMs);
        const refused = applyHeaderEdits(answer.headers, parseAfterRequestAnswer(raw));
        stats.succeeded("afterRequest", plugin, performance.now() - started);
        if (refused.length > 0) {
          this.#options.log.forPlugin(plugin).warn(`global afterRequest hook: the host sets ${refused.join(", ")} itself; left unchanged`, { path: this.#path });
        }
      } catch (error) {
        // Fail open: the answer exists; it goes out as the earlier hooks left it.
        this.#failed("afterRequest", plugin, hook.timeoutMs, error);
      }
    }
  }

  async #runTeardown(request: HookRequest, outcome: { status: number; error: Answer["error"]; durationMs: number }): Promise<void> {
    const { lookup, stats } = this.#options;
    const shown = withoutCredentials({ ...request, locals: this.#locals });
    for (const { plugin, hook } of this.#teardown) {
      const hookPlugin = lookup(plugin);
      if (hookPlugin === undefined) continue;
      const started = performance.now();
      try {
        await hookPlugin.call(GLOBAL_HOOK_METHODS.teardownRequest, { request: shown, outcome }, hook.timeoutMs);
        stats.succeeded("teardownRequest", plugin, performance.now() - started);
      } catch (error) {
        this.#failed("teardownRequest", plugin, hook.timeoutMs, error);
      }
    }
  }

  /** Counts and logs a failed hook, under the hook plugin's name. */
  #failed(kind: GlobalHookKind, plugin: string, timeoutMs: number, error: unknown): void {
    const code = error instanceof CorralError ? error.code : error instanceof TypeError ? "invalid answer" : "error";
    const message = error instanceof Error ? error.message : String(error);
    const timedOut = code === ErrorCode.CALL_TIMEOUT;
    this.#options.stats.failed(kind, plugin, `${code}: ${message}`, timedOut);
    const policy = kind === "beforeRequest" ? "request refused with 503 (fail closed)" : kind === "afterRequest" ? "response sent unchanged (fail open)" : "ignored";
    this.#options.log.forPlugin(plugin).error(`global ${kind} hook failed: ${message}; ${policy}`, {
      path: this.#path, target: this.#target, code, timeoutMs,
    });
  }
}

/**
 * The answer to a request whose beforeRequest hook failed. The client learns which hook failed
 * and how, never the hook's own message (it may hold secrets).
 */
function refusal(plugin: string, target: string | null, timeoutMs: number, error: unknown): CorralError {
  const to = target === null ? "the host" : `plugin "${target}"`;
  return new CorralError(ErrorCode.HOOK_FAILED,
    `the global beforeRequest hook of plugin "${plugin}" ${howItFailed(error, timeoutMs)}, so the request was refused and not passed on to ${to}; ` +
      "the operator finds the cause in the host log and in /health (hooks)");
}

function howItFailed(error: unknown, timeoutMs: number): string {
  if (!(error instanceof CorralError)) return "gave an invalid answer";
  switch (error.code) {
    case ErrorCode.CALL_TIMEOUT:
      return `did not answer within ${timeoutMs} ms (its timeoutMs)`;
    case ErrorCode.PLUGIN_UNAVAILABLE:
    case ErrorCode.PLUGIN_CRASHED:
    case ErrorCode.SHUTTING_DOWN:
      return "could not run: its plugin is not ready";
    case ErrorCode.CALL_UNKNOWN:
      return "is declared in its plugin.json but not defined by the plugin";
    default:
      return "threw an error";
  }
}
