/**
 * SDK internals shared by the runner and `@corral/sdk/testing`: recognising a definition, building
 * the context, starting and stopping a plugin. Not part of the public API.
 *
 * @module
 */

import type { Kysely } from "kysely";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { MigrateAction } from "../../schemas/messages.ts";
import { EMPTY_CONTEXT, type RequestContext } from "../../schemas/request-context.ts";
import { PLUGIN_CALLS } from "./_calls.ts";
import { createCache } from "./cache/client.ts";
import { createHostAccess } from "./host/client.ts";
import type { HostServices, PluginInternals } from "./_plugin-internals.ts";

export type { HostServices, PluginInternals } from "./_plugin-internals.ts";
import type { MigrateReport } from "./db/migrations.ts";
import type {
  JsonObject,
  LogFields,
  Logger,
  LogLevel,
  LogRecord,
  PluginApp,
  PluginContext,
  PluginDefinition,
} from "./types.ts";
import { PLUGIN_BRAND } from "./_brand.ts";
import { logHandlerErrors } from "./_error-log.ts";
import { hostTemplateSource } from "./templates/host-source.ts";
import { createTemplates, warmTemplates } from "./templates/templates.ts";
import type { Templates, TemplateSource } from "./templates/types.ts";
import { createEvents, createExtensions } from "./events/context.ts";
import { withLocalHooks } from "./hooks/local.ts";

export { PLUGIN_BRAND } from "./_brand.ts";
export { type BufferedResponse, bufferResponse } from "./_response.ts";

/** Receives every record a plugin's logger makes. */
export type LogSink = (record: LogRecord) => void;

/** A plugin whose init hook has run: what the runner (or the test helper) drives. */
export interface StartedPlugin {
  readonly context: PluginContext;
  /** `app.routes.length`, or 0 for an app that does not expose routes. */
  readonly routeCount: number;
  /**
   * Runs one request through the app, with the host's request context (`c.env.request`);
   * rejects only when the app itself fails to answer.
   */
  fetch(request: Request, requestContext?: RequestContext): Promise<Response>;
  /**
   * Runs one of the plugin's entry points the host calls (`hooks.*`, `events.deliver`...).
   * @throws CorralError CALL_UNKNOWN for a method the plugin does not define, CALL_FAILED when it throws.
   */
  handleCall(method: string, payload: unknown): Promise<unknown>;
  /** Runs the shutdown hook, if any. */
  stop(): Promise<void>;
  /**
   * Reports, applies or undoes the plugin's migrations (the host's `migrate` command).
   * @throws MigrationError when they fail; TypeError when the plugin has no database.
   */
  migrate(action: MigrateAction): Promise<MigrateReport>;
}

/** Identity of the plugin and where its logs go, as given to {@linkcode startPlugin}. */
export interface StartOptions {
  readonly name: string;
  readonly version: string;
  readonly config: JsonObject;
  readonly sink: LogSink;
  /** The plugin's database; without one, `ctx.db` throws and migrations are not run. */
  readonly database?: Kysely<unknown>;
  /** Whether pending migrations are applied before `init` (when there is a database). Default true. */
  readonly applyMigrations?: boolean;
  /** What reading `ctx.db` without a database says (a TypeError); defaults to the manifest hint. */
  readonly noDatabase?: string;
  /** The host's services; without them (old host, tests) calls fail with CORRAL_E_CALL_UNKNOWN. */
  readonly host?: HostServices;
  /** Where the host mounts the plugin; default "/plugins/<name>". */
  readonly mountPath?: string;
  /** Where template sources come from; default: the host's `templates.get` (tests: memory). */
  readonly templates?: TemplateSource;
}

/** Host services of a plugin started without them. */
const NO_HOST: HostServices = {
  call: (method) => Promise.reject(new CorralError(ErrorCode.CALL_UNKNOWN, `no host to call "${method}" (the plugin runs without Corral's host)`)),
};

/** Whether `value` is a definition made by `definePlugin()`. */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === "object" && value !== null && PLUGIN_BRAND in value;
}

/**
 * Parses the host's `configJson` into a deep-frozen object; "" means no configuration.
 * Throws a `TypeError` naming the problem when it is not a JSON object.
 */
export function parseConfig(json: string): JsonObject {
  if (json === "") return Object.freeze({});
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new TypeError(`configJson is not valid JSON (${(error as Error).message}): ${preview(json)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`configJson must be a JSON object, got ${preview(json)}`);
  }
  return deepFreeze(value) as JsonObject;
}

/** A logger whose records go to `sink`, stamped with the time they were made. */
export function createLogger(sink: LogSink): Logger {
  const at = (level: LogLevel) => (message: string, fields?: LogFields): void => {
    sink(
      fields === undefined
        ? { level, message: String(message), timeMs: Date.now() }
        : { level, message: String(message), fields, timeMs: Date.now() },
    );
  };
  return Object.freeze({ debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") });
}

/**
 * Builds the context, applies the plugin's pending migrations when it has a database (a failure
 * is a `MigrationError`), awaits its init hook (its error propagates unchanged), then hooks
 * handler errors into the log. The hook is installed after init so an `app.onError()` made there
 * is the one it wraps.
 */
export async function startPlugin(definition: PluginDefinition, options: StartOptions): Promise<StartedPlugin> {
  const { database } = options;
  const host = options.host ?? NO_HOST;
  const context = createContext(options, host, definition);
  const internals: PluginInternals = { definition, context, host };
  const migrations = definition.migrations ?? {};
  const migrate = async (action: MigrateAction): Promise<MigrateReport> => {
    if (database === undefined) throw new TypeError(noDatabase(options));
    // Loaded on demand: Kysely's Migrator is only needed by plugins that have a database.
    const { runMigrations } = await import("./db/migrations.ts");
    return await runMigrations(database, migrations, action);
  };
  if (database !== undefined && options.applyMigrations !== false && Object.keys(migrations).length > 0) {
    await migrate("latest");
  }
  if (definition.templates !== undefined) await warmTemplates(context.templates);
  await definition.init?.(context);
  const app: PluginApp = definition.app;
  // Installed before the error logger, which then wraps it: a route error is logged, then handed to the hooks.
  const hooked = definition.hooks === undefined ? undefined : withLocalHooks(app, definition.hooks, context);
  logHandlerErrors(app, context.log);
  return {
    context,
    routeCount: Array.isArray(app.routes) ? app.routes.length : 0,
    async fetch(request, requestContext = EMPTY_CONTEXT) {
      if (hooked !== undefined) return await hooked(request, requestContext);
      // One cheap object per request: the shared context as prototype, the request's own values on
      // top (defineProperty on a fresh object: half the cost of Object.create's descriptor map).
      const env = requestContext === EMPTY_CONTEXT ? context : withRequest(context, requestContext);
      const response = await app.fetch(request, env);
      if (!(response instanceof Response)) {
        throw new TypeError(`the app's fetch() returned ${typeof response} instead of a Response`);
      }
      return response;
    },
    async stop() {
      await definition.shutdown?.(context);
    },
    async handleCall(method, payload) {
      const handler = Object.hasOwn(PLUGIN_CALLS, method) ? PLUGIN_CALLS[method] : undefined;
      if (handler === undefined) {
        throw new CorralError(ErrorCode.CALL_UNKNOWN, `plugin "${context.name}" has no entry point "${method}"`);
      }
      try {
        return await handler(internals, payload);
      } catch (error) {
        if (error instanceof CorralError) throw error;
        throw new CorralError(ErrorCode.CALL_FAILED, `plugin "${context.name}": "${method}" threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    migrate,
  };
}

/** The descriptor of `env.request`, reused: its value is read when the property is defined. */
const requestProperty: PropertyDescriptor = { value: undefined, enumerable: true };

/** A request's `c.env`: `context` as prototype, with `request` as its own read-only property. */
function withRequest(context: PluginContext, request: RequestContext): PluginContext {
  requestProperty.value = request;
  const env = Object.defineProperty(Object.create(context), "request", requestProperty) as PluginContext;
  requestProperty.value = undefined;
  return env;
}

/**
 * The frozen context. `db` is a getter that is not enumerable, so that spreading or logging the
 * context of a plugin without a database does not throw.
 */
function createContext(options: StartOptions, host: HostServices, definition: PluginDefinition): PluginContext {
  const context = {
    name: options.name,
    version: options.version,
    config: options.config,
    log: createLogger(options.sink),
    request: EMPTY_CONTEXT,
    events: createEvents(host),
    extensions: createExtensions(host),
    cache: createCache(host),
    host: createHostAccess(host),
  } as PluginContext;
  // After the object exists: context processors are given the context itself.
  (context as { templates: Templates }).templates = createTemplates({
    name: options.name,
    mountPath: options.mountPath ?? `/plugins/${options.name}`,
    source: options.templates ?? hostTemplateSource(host, options.name),
    options: definition.templates,
    context,
  });
  const { database } = options;
  Object.defineProperty(context, "db", {
    enumerable: false,
    get() {
      if (database === undefined) throw new TypeError(noDatabase(options));
      return database;
    },
  });
  return Object.freeze(context);
}

function noDatabase(options: StartOptions): string {
  return options.noDatabase ??
    `plugin "${options.name}" has no database: add "database": true to its plugin.json to use ctx.db`;
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === "object" && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
