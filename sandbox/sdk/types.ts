/**
 * The shapes a plugin author works with: the plugin definition, its context and its logger.
 *
 * @module
 */

import type { Kysely, Migration } from "kysely";
import type { TemplateHelper, TemplateRequest, Templates } from "./templates/types.ts";
import type { Contributions, EventHandlers, PluginEvents, PluginExtensions } from "./events/types.ts";
import type { GlobalRequestHooks, RequestHooks } from "./hooks/types.ts";
import type { PluginCache } from "./cache/types.ts";
import type { HostAccess } from "./host/types.ts";

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
 * What the host knows about the request being answered: `c.env.request` in a handler. Outside a
 * request (in `init`, `shutdown`, event handlers) every field is empty.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/me", (c) => c.json({ user: c.env.request.locals.user ?? null, requestId: c.env.request.requestId }));
 *
 * export default definePlugin({ app });
 * ```
 */
export interface RequestInfo {
  /** The request's id, also in the host's access log and the `x-request-id` response header. */
  readonly requestId: string;
  /** The token a form must send back in its `_csrf` field (or the `x-csrf-token` header). */
  readonly csrfToken: string;
  /** Values global `beforeRequest` hooks attached, e.g. `user` from an auth plugin. */
  readonly locals: Readonly<Record<string, unknown>>;
  /**
   * Who sent the request, as the host reads it: the client's IP address (`"203.0.113.7"`,
   * `"::1"`), "" when unknown. It is the socket's peer, unless that peer is a proxy the host
   * policy trusts (`http.trustedProxies`); then it is the client that proxy names in
   * `X-Forwarded-For`. Never read that header yourself: any client can write it.
   */
  readonly clientAddress: string;
  /**
   * Whether the client reached the host over TLS (`https`), as the host decides it: the host's
   * own socket is TLS, or a proxy the host policy trusts (`http.trustedProxies`) says
   * `X-Forwarded-Proto: https`. `c.req.url` then starts with `https:` too. Use it for a cookie's
   * `Secure` flag; never read `X-Forwarded-Proto` yourself: any client can write it.
   */
  readonly secure: boolean;
}

/**
 * What a plugin is given by the host: who it is, its configuration, its logger and, when its
 * manifest says `"database": true`, its database. The runner passes it to the `init` and
 * `shutdown` hooks, and to every request as Hono's `c.env` (type the app with
 * {@linkcode PluginEnv} to see it).
 *
 * `DB` describes the plugin's tables for Kysely (see {@linkcode PluginContext.db}).
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
export interface PluginContext<DB = unknown> {
  /** The plugin's name, from its manifest. */
  readonly name: string;
  /** The plugin's version, from its manifest. */
  readonly version: string;
  /** The plugin's configuration from the host: a frozen JSON object, `{}` when there is none. */
  readonly config: JsonObject;
  /** Where the plugin's log records go. */
  readonly log: Logger;
  /** The request being answered (in a handler); empty values outside a request. */
  readonly request: RequestInfo;
  /**
   * The plugin's own Postgres database, as a Kysely instance typed with `DB`. The plugin sees
   * only its own schema; its migrations have run before `init`. Values arrive as node-postgres
   * gives them: `int8` (bigint, bigserial, count()) and `numeric` as strings, timestamps as
   * `Date`, `bytea` as `Uint8Array`, json/jsonb parsed; declare the column types to match.
   * `db.transaction().execute(fn)` runs `fn`'s statements on one connection and commits, or
   * rolls back when `fn` throws. Failures are {@linkcode DatabaseError}s with Postgres' SQLSTATE.
   *
   * Reading it throws a `TypeError` when the plugin's manifest does not say `"database": true`.
   *
   * @example
   * ```ts
   * import { definePlugin, type PluginEnv } from "@corral/sdk";
   * import { Hono } from "hono";
   *
   * interface Database {
   *   notes: { id: string; title: string; created_at: Date };
   * }
   *
   * const app = new Hono<PluginEnv<Database>>();
   * app.get("/notes", async (c) => c.json(await c.env.db.selectFrom("notes").selectAll().execute()));
   *
   * export default definePlugin<Database>({ app });
   * ```
   */
  readonly db: Kysely<DB>;
  /**
   * Renders the plugin's Handlebars templates (its `templates/` folder, or the host's override of
   * a file). In a handler, `render(c, name, data)` from `@corral/sdk` answers with one.
   *
   * @example
   * ```ts
   * import { definePlugin, type PluginEnv } from "@corral/sdk";
   * import { Hono } from "hono";
   *
   * const app = new Hono<PluginEnv>();
   * app.get("/", async (c) => c.html(await c.env.templates.render("home", { title: "Notes" }, c)));
   *
   * export default definePlugin({ app });
   * ```
   */
  readonly templates: Templates;
  /** Emits events to the plugins that subscribe to them (names listed in the manifest's `events.emits`). */
  readonly events: PluginEvents;
  /** Gathers the contributions to an extension point this plugin declares in its manifest's `extensionPoints`. */
  readonly extensions: PluginExtensions;
  /**
   * A key-value cache in the host's memory, private to the plugin, with TTLs (see
   * {@linkcode PluginCache}). Needs `"cache": { "maxBytes": … }` in plugin.json.
   *
   * @example
   * ```ts
   * import type { PluginContext } from "@corral/sdk";
   *
   * async function visits(ctx: PluginContext): Promise<number> {
   *   const count = ((await ctx.cache.get<number>("visits")) ?? 0) + 1;
   *   await ctx.cache.set("visits", count, { ttlSeconds: 3600 });
   *   return count;
   * }
   * ```
   */
  readonly cache: PluginCache;
  /**
   * The host beyond the sandbox, as far as the manifest's `host` field grants it (see
   * {@linkcode HostAccess}): `health()` needs `"host": ["health"]`. Deny by default.
   */
  readonly host: HostAccess;
}

/**
 * The Hono environment of a Corral plugin: `c.env` is the {@linkcode PluginContext}, and
 * `c.env.db` a `Kysely<DB>`.
 *
 * @example
 * ```ts
 * import type { PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * interface Database {
 *   notes: { id: string; title: string };
 * }
 *
 * const app = new Hono<PluginEnv<Database>>();
 * app.get("/whoami", (c) => c.json({ name: c.env.name }));
 * app.get("/notes", async (c) => c.json(await c.env.db.selectFrom("notes").select(["id", "title"]).execute()));
 * ```
 */
export type PluginEnv<DB = unknown> = { Bindings: PluginContext<DB> };

/**
 * A plugin's migrations: name -> Kysely `Migration` (`{ up, down? }`). They are applied in the
 * order of their names (compared as strings, so number them with leading zeros), before the
 * plugin's `init` hook, every one that is pending in one transaction. A migration that has been
 * applied must not change or disappear: add a new one instead.
 *
 * @example
 * ```ts
 * import type { PluginMigrations } from "@corral/sdk";
 * import { sql } from "kysely";
 *
 * export const migrations: PluginMigrations = {
 *   "0001_notes": {
 *     up: (db) => db.schema.createTable("notes")
 *       .addColumn("id", "bigserial", (col) => col.primaryKey())
 *       .addColumn("title", "text", (col) => col.notNull())
 *       .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
 *       .execute(),
 *     down: (db) => db.schema.dropTable("notes").execute(),
 *   },
 * };
 * ```
 */
export type PluginMigrations = Readonly<Record<string, Migration>>;

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
 * A plugin as its author describes it to {@linkcode definePlugin}: its routes, its migrations and
 * optional lifecycle hooks. `DB` types `ctx.db`.
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
export interface PluginDefinition<DB = unknown> {
  /** The plugin's routes, mounted by the host at `/plugins/<name>/`. */
  readonly app: PluginApp;
  /**
   * Migrations for the plugin's database (needs `"database": true`), applied on every start
   * before `init`; a failure stops the plugin with `CORRAL_E_MIGRATION_FAILED`.
   */
  readonly migrations?: PluginMigrations;
  /** Runs once before the first request; the plugin is not ready until it settles. A throw fails the start. */
  readonly init?: (ctx: PluginContext<DB>) => void | Promise<void>;
  /** Runs once when the host stops the plugin, bounded by the host's shutdown deadline. */
  readonly shutdown?: (ctx: PluginContext<DB>) => void | Promise<void>;
  /** CLI commands, run with `npx corral run <plugin>:<command>`; each must be declared in plugin.json too. */
  readonly commands?: PluginCommands<DB>;
  /** Request hooks around the plugin's own routes, in its process: see {@linkcode RequestHooks}. */
  readonly hooks?: RequestHooks<PluginContext<DB>>;
  /** Request hooks for everyone else's requests (declared in the manifest too): see {@linkcode GlobalRequestHooks}. */
  readonly globalHooks?: GlobalRequestHooks<PluginContext<DB>>;
  /**
   * Handlers of the events the manifest's `events.subscribes` lists, by name or pattern
   * ("notes.created", "notes.*"). They run in this process, one event at a time, outside any request.
   */
  readonly events?: EventHandlers<PluginContext<DB>>;
  /** This plugin's contributions to other plugins' extension points (listed in the manifest's `contributes`), by point. */
  readonly contributions?: Contributions<PluginContext<DB>>;
  /** The plugin's template helpers and context processors (see docs/templates.md). */
  readonly templates?: TemplateOptions;
}

/**
 * Adds values to every template a plugin renders (Flask's `context_processor`). It gets the
 * request being answered (`undefined` when rendering outside a request, e.g. an e-mail in an
 * event handler) and the plugin's context. Values a render is given explicitly win over it.
 *
 * @example
 * ```ts
 * import type { TemplateContextProcessor } from "@corral/sdk";
 *
 * const site: TemplateContextProcessor = (_c, ctx) => ({ siteName: ctx.config.siteName ?? "Notes" });
 * ```
 */
export type TemplateContextProcessor = (
  c: TemplateRequest | undefined,
  ctx: PluginContext,
) => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;

/**
 * The `templates` field of {@linkcode PluginDefinition}: the plugin's own helpers and context
 * processors. Declaring it (even as `{}`) also loads the template engine at start, so the first
 * render does not pay for it.
 *
 * @example
 * ```ts
 * import { definePlugin, render, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", (c) => render(c, "home", { notes: ["a", "b"] }));
 *
 * export default definePlugin({
 *   app,
 *   templates: {
 *     helpers: { shout: (text: unknown) => String(text).toUpperCase() },
 *     contextProcessors: [(c) => ({ now: new Date().toISOString(), path: c?.req.path })],
 *   },
 * });
 * ```
 */
export interface TemplateOptions {
  /** Helpers by name, usable in every template of the plugin: `{{name arg1 key=value}}`. */
  readonly helpers?: Readonly<Record<string, TemplateHelper>>;
  /** Run before every render, in order; later ones win on the same key. */
  readonly contextProcessors?: readonly TemplateContextProcessor[];
}

/**
 * Where a command writes its output. Text goes out as given (add your own `"\n"`), in order, and
 * reaches the terminal of `corral run` as it is written. `console.log` and `console.error` reach
 * it too; `io` is also what `command()` of `testPlugin()`
 * (`@corral/sdk/testing`) captures, so prefer it.
 *
 * @example
 * ```ts
 * import type { CommandIo } from "@corral/sdk";
 *
 * function table(io: CommandIo, rows: readonly string[][]): void {
 *   for (const row of rows) io.stdout(row.join("\t") + "\n");
 * }
 * ```
 */
export interface CommandIo {
  /** Writes `text` to standard output. */
  stdout(text: string): void;
  /** Writes `text` to standard error (diagnostics, progress). */
  stderr(text: string): void;
}

/**
 * One CLI command of a plugin. `run` gets the arguments after `<plugin>:<command>`, the output
 * streams and the plugin's context (config, logger, `db`, `cache`); what it returns is the exit
 * code (nothing means 0). A throw exits with 1 and prints the error's message (its stack only with
 * `corral run --verbose`). The command runs in a fresh process of the plugin, with the
 * plugin's own permissions and database; its manifest must declare it under `commands`.
 *
 * @example
 * ```ts
 * import type { PluginCommand } from "@corral/sdk";
 *
 * const greet: PluginCommand = {
 *   description: "Greets each name given",
 *   run(args, io) {
 *     if (args.length === 0) {
 *       io.stderr("usage: greet <name>...\n");
 *       return 2;
 *     }
 *     for (const name of args) io.stdout(`Hello, ${name}!\n`);
 *   },
 * };
 * ```
 */
export interface PluginCommand<DB = unknown> {
  /**
   * One line on what it does, for readers of the code. `npx corral commands` lists commands from
   * plugin.json without starting the plugin, so it shows the manifest's `description`.
   */
  readonly description?: string;
  /** Runs the command; resolves with its exit code (an integer from 0 to 255), or nothing for 0. */
  readonly run: (
    args: readonly string[],
    io: CommandIo,
    ctx: PluginContext<DB>,
  ) => number | void | Promise<number | void>;
}

/**
 * A plugin's commands by name: the `commands` of {@linkcode definePlugin}. Each name must also
 * be declared in plugin.json's `commands`, which is what `npx corral` reads to list them.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginCommands } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const commands: PluginCommands = {
 *   version: { run: (_args, io, ctx) => io.stdout(`${ctx.name} ${ctx.version}\n`) },
 * };
 *
 * export default definePlugin({ app: new Hono(), commands });
 * ```
 */
export type PluginCommands<DB = unknown> = Readonly<Record<string, PluginCommand<DB>>>;
