/**
 * `@corral/sdk/testing`: run a plugin in-process, without the host, from `deno test`.
 *
 * @module
 */

import type { Kysely } from "kysely";
import type { JsonObject, LogRecord, PluginDefinition } from "./types.ts";
import { eventsTestHelpers, type EventsTestHelpers, type EventsTestOptions, fakeEventsHost } from "./events/fake-host.ts";
import { EMPTY_CONTEXT, type RequestContext } from "../../schemas/request-context.ts";
import { type TestGlobalHooks, testGlobalHooks } from "./hooks/testing.ts";

export type { TestGlobalHooks, TestHookRequest } from "./hooks/testing.ts";
export type { BeforeRequestAnswer, HeaderEdits } from "../../schemas/global-hooks.ts";
import { bufferResponse, type HostServices, isPluginDefinition, parseConfig, startPlugin } from "./_internal.ts";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { deniedCacheServices, memoryCacheServices, type MemoryCacheOptions, type MemoryService } from "./cache/memory-cache.ts";
import { HOST_HEALTH_METHOD } from "./host/client.ts";
import type { HostHealth } from "./host/types.ts";
import { runCommand } from "./commands/run-command.ts";

export type { LogRecord } from "./types.ts";
export { fakeDatabase } from "./db/fake-database.ts";
export type { FakeDatabase, FakeQuery, FakeResponder, FakeResult } from "./db/fake-database.ts";
import { memoryTemplateSource, type TestTemplates } from "./templates/memory-source.ts";
export type { TestTemplates } from "./templates/memory-source.ts";
export type { EmittedEvent, EventsManifest, EventsTestHelpers, EventsTestOptions, FakeContributions } from "./events/fake-host.ts";
export type { MemoryCacheOptions } from "./cache/memory-cache.ts";

/**
 * Options for {@linkcode testPlugin}.
 *
 * @example
 * ```ts
 * import type { TestPluginOptions } from "@corral/sdk/testing";
 *
 * const options: TestPluginOptions = { config: { greeting: "hi" }, name: "hello" };
 * ```
 */
export interface TestPluginOptions<DB = unknown> extends EventsTestOptions {
  /** The configuration the plugin sees as `ctx.config` (it goes through JSON, as from the host). Default `{}`. */
  readonly config?: JsonObject;
  /** `ctx.name`. Default `"test-plugin"`. */
  readonly name?: string;
  /** `ctx.version`. Default `"0.0.0"`. */
  readonly version?: string;
  /** Like the host's limit: a larger response body becomes a 502 `CORRAL_E_RESPONSE_TOO_LARGE`. Default: no limit. */
  readonly maxBodyBytes?: number;
  /**
   * What the plugin sees as `ctx.db`: a {@linkcode fakeDatabase}'s `db`, or a Kysely instance
   * of your own (e.g. on a scratch Postgres schema). Without it, reading `ctx.db` throws.
   */
  readonly db?: Kysely<DB>;
  /** Whether the plugin's migrations are applied to `db` before `init`, as the runner does. Default true. */
  readonly migrate?: boolean;
  /**
   * The templates `ctx.templates.render()` finds, as the host would serve them: sources by path
   * (`{ "layouts/base.hbs": "…" }`), or a folder URL (`new URL("./templates/", import.meta.url)`,
   * which needs `--allow-read`). Default: none.
   */
  readonly templates?: TestTemplates;
  /** What `{{static_url "path"}}` gives for a path (the host's fingerprinted URLs). Default: none, so "/plugins/<name>/static/<path>". */
  readonly staticUrls?: Readonly<Record<string, string>>;
  /**
   * Gives the plugin `ctx.cache`, in memory (`true`, or a size and a clock). Without it, as on a
   * host whose manifest has no `cache` field, every cache call rejects with `CORRAL_E_CALL_DENIED`.
   */
  readonly cache?: boolean | MemoryCacheOptions;
  /**
   * What `ctx.host.health()` answers, as when plugin.json says `"host": ["health"]`: a value, or
   * a function called on each call (to change the answer between requests). Without it, as on a
   * host whose manifest has no such grant, the call rejects with `CORRAL_E_CALL_DENIED`.
   */
  readonly hostHealth?: HostHealth | (() => HostHealth);
}

/**
 * `fetch()` options of a {@linkcode TestPlugin}: a fetch `RequestInit`, plus what the host would
 * put in `c.env.request` (for example the `locals` a global auth hook attaches).
 *
 * @example
 * ```ts
 * import type { TestRequestInit } from "@corral/sdk/testing";
 *
 * const init: TestRequestInit = { method: "POST", body: "{}", locals: { user: { id: 7 } } };
 * ```
 */
export interface TestRequestInit extends RequestInit {
  /** `c.env.request.locals`. Default `{}`. */
  readonly locals?: Readonly<Record<string, unknown>>;
  /** `c.env.request.requestId`. Default `""`. */
  readonly requestId?: string;
  /** `c.env.request.csrfToken`. Default `""`. */
  readonly csrfToken?: string;
  /** `c.env.request.clientAddress`: who sent the request. Default `""`. */
  readonly clientAddress?: string;
}

/**
 * What {@linkcode TestPlugin.command} captured from one run of a command.
 *
 * @example
 * ```ts
 * import type { CommandResult } from "@corral/sdk/testing";
 *
 * const result: CommandResult = { exitCode: 0, stdout: "3 notes\n", stderr: "" };
 * ```
 */
export interface CommandResult {
  /** What `corral run` would exit with: the command's return value, 0 for nothing, 1 when it threw. */
  readonly exitCode: number;
  /** Everything the command wrote with `io.stdout`. */
  readonly stdout: string;
  /** Everything the command wrote with `io.stderr`. */
  readonly stderr: string;
  /** When the command threw (or returned something that is not an exit code): what `corral run` prints. */
  readonly error?: { readonly message: string; readonly stack?: string };
}

/**
 * A started plugin under test. Dispose of it (`await using`, or `close()`) to run its shutdown hook.
 *
 * @example
 * ```ts
 * import { testPlugin } from "@corral/sdk/testing";
 * import plugin from "./mod.ts";
 *
 * await using running = await testPlugin(plugin);
 * const response = await running.fetch("/");
 * console.log(response.status, running.logs.length);
 * ```
 */
export interface TestPlugin extends AsyncDisposable, EventsTestHelpers {
  /**
   * Sends a request to the plugin's app, as the runner does: a path such as `"/notes?limit=5"`
   * becomes `http://plugin.local/notes?limit=5`; the response body is read in full first. A full
   * `https:` URL (`"https://plugin.local/login"`) is a request the host judged secure:
   * `c.env.request.secure` is then true.
   */
  fetch(pathOrRequest: string | Request, init?: TestRequestInit): Promise<Response>;
  /** Runs the plugin's `globalHooks` as the host would, through JSON: see {@linkcode TestGlobalHooks}. */
  readonly globalHooks: TestGlobalHooks;
  /** Every record the plugin logged so far, oldest first (handler errors included). */
  readonly logs: readonly LogRecord[];
  /**
   * Runs one of the plugin's commands as `npx corral run <plugin>:<name> ...args` would, capturing
   * what it writes to `io`. Rejects with `CORRAL_E_COMMAND_UNKNOWN` when the plugin defines no
   * such command.
   */
  command(name: string, args?: readonly string[]): Promise<CommandResult>;
  /** Runs the shutdown hook once; later calls resolve at once. */
  close(): Promise<void>;
}

/**
 * Starts `definition` as the runner would — context, `init` hook, error logging — but in this
 * process and without the host, so a plugin can be tested with `deno test`. Errors from `init`
 * propagate unchanged, stack included.
 *
 * @param definition The plugin's default export.
 * @param options Configuration, identity and body limit; see {@linkcode TestPluginOptions}.
 * @returns The running plugin.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { testPlugin } from "@corral/sdk/testing";
 * import plugin from "./mod.ts";
 *
 * Deno.test("GET / greets", async () => {
 *   await using running = await testPlugin(plugin, { config: { greeting: "hi" } });
 *   const response = await running.fetch("/");
 *   strictEqual(await response.text(), "hi");
 * });
 * ```
 */
export async function testPlugin<DB>(
  definition: PluginDefinition<DB>,
  options: TestPluginOptions<NoInfer<DB>> = {},
): Promise<TestPlugin> {
  if (!isPluginDefinition(definition)) {
    throw new TypeError("testPlugin() expects the default export of a plugin module, made by definePlugin({ app })");
  }
  const name = options.name ?? "test-plugin";
  const maxBodyBytes = options.maxBodyBytes ?? Infinity;
  const logs: LogRecord[] = [];
  const events = fakeEventsHost(name, options);
  const host = testHost(name, options.cache, events.host, options.hostHealth);
  const plugin = await startPlugin(definition as PluginDefinition, {
    name,
    version: options.version ?? "0.0.0",
    config: parseConfig(JSON.stringify(options.config ?? {})),
    sink: (record) => logs.push(record),
    database: options.db as Kysely<unknown> | undefined,
    applyMigrations: options.migrate ?? true,
    templates: memoryTemplateSource(options.templates, options.staticUrls),
    noDatabase: `plugin "${name}" has no database under testPlugin(): pass one as the db option ` +
      "(fakeDatabase() from @corral/sdk/testing, or a Kysely instance of your own)",
    host,
  });
  let closing: Promise<void> | undefined;
  const close = () => closing ??= plugin.stop();
  return {
    logs,
    close,
    ...eventsTestHelpers(name, events, plugin),
    [Symbol.asyncDispose]: close,
    globalHooks: testGlobalHooks(plugin),
    async command(command, args = []) {
      if (closing) throw new Error(`testPlugin(): command() after close() on plugin "${name}"`);
      let stdout = "";
      let stderr = "";
      const io = { stdout: (text: string) => void (stdout += String(text)), stderr: (text: string) => void (stderr += String(text)) };
      const internals = { definition: definition as PluginDefinition, context: plugin.context, host };
      const result = await runCommand(internals, { command, args: [...args] }, io);
      return { ...result, stdout, stderr };
    },
    async fetch(pathOrRequest, init) {
      if (closing) throw new Error(`testPlugin(): fetch() after close() on plugin "${name}"`);
      const { locals, requestId, csrfToken, clientAddress, ...requestInit } = init ?? {};
      const request = toRequest(pathOrRequest, init === undefined ? undefined : requestInit);
      const url = new URL(request.url);
      const what = `plugin "${name}" answering ${request.method} ${url.pathname}`;
      // `c.env.request.secure` follows the URL, as the host's runner makes them agree.
      const secure = url.protocol === "https:";
      const context: RequestContext = locals === undefined && requestId === undefined && csrfToken === undefined && clientAddress === undefined && !secure
        ? EMPTY_CONTEXT
        // Through JSON, as from the host.
        : { requestId: requestId ?? "", csrfToken: csrfToken ?? "", locals: JSON.parse(JSON.stringify(locals ?? {})), clientAddress: clientAddress ?? "", secure };
      const buffered = await bufferResponse(await plugin.fetch(request, context), maxBodyBytes, () => what);
      if (buffered.tooLarge) plugin.context.log.warn(`${what}: response body over ${maxBodyBytes} bytes, sent 502`);
      return new Response(nullBodyStatus(buffered.status) ? null : buffered.body, buffered);
    },
  };
}

/** The host services a plugin under test can call: the cache (in memory, or denied). */
/** The host services under testPlugin(): the cache here, everything else (events...) from `fallback`. */
function testHost(
  name: string,
  cache: boolean | MemoryCacheOptions = false,
  fallback?: HostServices,
  hostHealth?: HostHealth | (() => HostHealth),
): HostServices {
  const services: Readonly<Record<string, MemoryService>> = {
    ...(cache === false ? deniedCacheServices(name) : memoryCacheServices(cache === true ? {} : cache)),
    [HOST_HEALTH_METHOD]: () => {
      if (hostHealth === undefined) {
        throw new CorralError(ErrorCode.CALL_DENIED,
          `plugin "${name}" called "${HOST_HEALTH_METHOD}" without the grant: in production add "host": ["health"] ` +
          `to its plugin.json; under testPlugin() pass the hostHealth option`);
      }
      return typeof hostHealth === "function" ? hostHealth() : hostHealth;
    },
  };
  return {
    // Payloads and results go through JSON, as they do over the wire.
    async call(method, payload) {
      const service = Object.hasOwn(services, method) ? services[method] : undefined;
      if (service === undefined && fallback !== undefined) return await fallback.call(method, payload);
      if (service === undefined) {
        throw new CorralError(ErrorCode.CALL_UNKNOWN, `no host service "${method}" under testPlugin() (the plugin runs without Corral's host)`);
      }
      const result = await service(JSON.parse(JSON.stringify(payload ?? null)));
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    },
  };
}

function toRequest(pathOrRequest: string | Request, init?: RequestInit): Request {
  if (pathOrRequest instanceof Request) return init ? new Request(pathOrRequest, init) : pathOrRequest;
  if (pathOrRequest.startsWith("/")) return new Request(`http://plugin.local${pathOrRequest}`, init);
  return new Request(pathOrRequest, init);
}

/** `new Response()` refuses a body, even an empty one, with these statuses. */
function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}
