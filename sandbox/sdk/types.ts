/**
 * The shapes a plugin author works with: the plugin definition, its context and its logger.
 *
 * @module
 */

/**
 * A JSON value, as found in a plugin's configuration.
 *
 * @example
 * ```ts
 * import type { JsonValue } from "@corral/sdk";
 *
 * const limit: JsonValue = 5;
 * ```
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;

/**
 * A read-only JSON object: the type of {@linkcode PluginContext.config}.
 *
 * @example
 * ```ts
 * import type { JsonObject } from "@corral/sdk";
 *
 * function upstream(config: JsonObject): string {
 *   return typeof config.upstreamUrl === "string" ? config.upstreamUrl : "http://127.0.0.1:47300";
 * }
 * ```
 */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * Structured fields attached to a log record. They are sent to the host as JSON; an `Error` value
 * is sent as its name, message and stack.
 *
 * @example
 * ```ts
 * import type { LogFields } from "@corral/sdk";
 *
 * const fields: LogFields = { noteId: 42, tookMs: 3.5 };
 * ```
 */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Severity of a log record, lowest first.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "@corral/sdk";
 *
 * const level: LogLevel = "warn";
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * One record a plugin logged. In production it travels to the host, which tags it with the
 * plugin's name; under `testPlugin()` it lands in `logs`.
 *
 * @example
 * ```ts
 * import type { LogRecord } from "@corral/sdk";
 *
 * const record: LogRecord = { level: "info", message: "started", timeMs: Date.now() };
 * ```
 */
export interface LogRecord {
  /** How serious the record is. */
  readonly level: LogLevel;
  /** What happened, for a person to read. */
  readonly message: string;
  /** Optional structured data for machines (ids, durations...). */
  readonly fields?: LogFields;
  /** Unix time in milliseconds when the record was made. */
  readonly timeMs: number;
}

/**
 * Sends log records to the Corral host. Prefer it to `console.log`: its records are structured,
 * levelled and tagged with the plugin's name, while stdout and stderr are kept only as raw text.
 *
 * @example
 * ```ts
 * import { definePlugin } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * export default definePlugin({
 *   app: new Hono(),
 *   init(ctx) {
 *     ctx.log.info("plugin started", { version: ctx.version });
 *   },
 * });
 * ```
 */
export interface Logger {
  /** Detail that helps while developing. */
  debug(message: string, fields?: LogFields): void;
  /** A normal event worth keeping. */
  info(message: string, fields?: LogFields): void;
  /** Something unexpected that the plugin recovered from. */
  warn(message: string, fields?: LogFields): void;
  /** A failure an operator should look at. */
  error(message: string, fields?: LogFields): void;
}

/**
 * What a plugin is given by the host: who it is, its configuration and its logger. The runner
 * passes it to the `init` and `shutdown` hooks, and to every request as Hono's `c.env` (type the
 * app with {@linkcode PluginEnv} to see it).
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", (c) => c.text(`${c.env.name} ${c.env.version}`));
 *
 * export default definePlugin({ app });
 * ```
 */
export interface PluginContext {
  /** The plugin's name, from its manifest. */
  readonly name: string;
  /** The plugin's version, from its manifest. */
  readonly version: string;
  /** The plugin's configuration from the host: a frozen JSON object, `{}` when there is none. */
  readonly config: JsonObject;
  /** Where the plugin's log records go. */
  readonly log: Logger;
}

/**
 * The Hono environment of a Corral plugin: `c.env` is the {@linkcode PluginContext}.
 *
 * @example
 * ```ts
 * import type { PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/whoami", (c) => c.json({ name: c.env.name }));
 * ```
 */
export type PluginEnv = { Bindings: PluginContext };

/**
 * What the runner needs from a plugin's app: a Hono app, or anything with Hono's `fetch` and
 * `routes`.
 *
 * @example
 * ```ts
 * import type { PluginApp } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app: PluginApp = new Hono().get("/", (c) => c.text("hi"));
 * ```
 */
export interface PluginApp {
  /** Answers one request; the runner passes the plugin's context as the second argument. */
  fetch(request: Request, env: PluginContext): Response | Promise<Response>;
  /** The registered routes (Hono keeps them here); only counted, for the host's information. */
  readonly routes?: readonly unknown[];
}

/**
 * A plugin as its author describes it to {@linkcode definePlugin}: its routes and optional
 * lifecycle hooks.
 *
 * @example
 * ```ts
 * import type { PluginDefinition } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const definition: PluginDefinition = {
 *   app: new Hono().get("/", (c) => c.text("hi")),
 *   shutdown: (ctx) => ctx.log.info("bye"),
 * };
 * ```
 */
export interface PluginDefinition {
  /** The plugin's routes, mounted by the host at `/plugins/<name>/`. */
  readonly app: PluginApp;
  /** Runs once before the first request; the plugin is not ready until it settles. A throw fails the start. */
  readonly init?: (ctx: PluginContext) => void | Promise<void>;
  /** Runs once when the host stops the plugin, bounded by the host's shutdown deadline. */
  readonly shutdown?: (ctx: PluginContext) => void | Promise<void>;
}
