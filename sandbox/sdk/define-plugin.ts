/**
 * `definePlugin()`: how a plugin module describes itself to Corral.
 *
 * @module
 */

import type { PluginDefinition } from "./types.ts";
import { PLUGIN_BRAND } from "./_brand.ts";
import { checkGlobalHooks, checkLocalHooks } from "./hooks/check.ts";
import { SDK_VERSION } from "./version.ts";
import { checkTemplateOptions } from "./templates/check-options.ts";
import { checkContributions, checkEventHandlers } from "./events/validate.ts";
import { checkCommands } from "./commands/check-commands.ts";
import { describeValue } from "./_describe.ts";

/**
 * Declares a Corral plugin. The plugin's entry module (default `mod.ts`) must default-export what
 * this returns: a frozen copy of `definition`, marked so the runner can recognise it.
 *
 * Throws a `TypeError` when `app` has no `fetch` function or a hook is not a function, so the
 * mistake shows up where it is made rather than at the first request.
 *
 * Throws a `TypeError` as well when `migrations` is not an object of `{ up, down? }` functions,
 * or `templates` not `{ helpers?, contextProcessors? }` of functions (see docs/templates.md).
 * or `hooks` / `globalHooks` has an unknown key or a hook that is not a function.
 *
 * @typeParam DB The plugin's tables, for a typed `ctx.db` (see `PluginContext.db`).
 * @param definition The plugin's Hono app, its optional migrations, its `init` and `shutdown` hooks,
 *   and its request `hooks` (own routes) and `globalHooks` (everyone's requests).
 * or `commands` not an object of `{ run, description? }` under names like `"export"`.
 *
 * @typeParam DB The plugin's tables, for a typed `ctx.db` (see `PluginContext.db`).
 * @param definition The plugin's Hono app, its optional migrations, its `init` and `shutdown` hooks and its CLI `commands`.
 * @returns The definition to default-export.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", (c) => c.text("Hello from Deno!"));
 *
 * export default definePlugin({
 *   app,
 *   init: (ctx) => ctx.log.info("ready", { config: ctx.config }),
 * });
 * ```
 *
 * @example With a database (the manifest says `"database": true`)
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 * import { sql } from "kysely";
 *
 * interface Database {
 *   visits: { id: string; at: Date };
 * }
 *
 * const app = new Hono<PluginEnv<Database>>();
 * app.post("/visits", async (c) => {
 *   const visit = await c.env.db.insertInto("visits").defaultValues().returningAll().executeTakeFirstOrThrow();
 *   return c.json(visit, 201);
 * });
 *
 * export default definePlugin<Database>({
 *   app,
 *   migrations: {
 *     "0001_visits": {
 *       up: (db) => db.schema.createTable("visits")
 *         .addColumn("id", "bigserial", (col) => col.primaryKey())
 *         .addColumn("at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
 *         .execute(),
 *     },
 *   },
 * });
 * ```
 *
 * @example With a CLI command (declared in plugin.json as `"commands": { "greet": {} }`)
 * ```ts
 * import { definePlugin } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * export default definePlugin({
 *   app: new Hono(),
 *   commands: {
 *     greet: {
 *       description: "Greets each name given",
 *       run(args, io) {
 *         for (const name of args) io.stdout(`Hello, ${name}!\n`);
 *       },
 *     },
 *   },
 * });
 * ```
 */
export function definePlugin<DB = unknown>(definition: PluginDefinition<DB>): PluginDefinition<DB> {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError(`definePlugin() expects an object like { app }, got ${describeValue(definition)}`);
  }
  const { app, migrations, init, shutdown, events, contributions, hooks, globalHooks, commands } = definition;
  if (typeof app !== "object" || app === null || typeof app.fetch !== "function") {
    throw new TypeError(
      `definePlugin({ app }): app must be a Hono app (an object with a fetch() method), got ${describeValue(app)}`,
    );
  }
  for (const [hook, value] of [["init", init], ["shutdown", shutdown]] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`definePlugin({ ${hook} }): ${hook} must be a function, got ${describeValue(value)}`);
    }
  }
  checkMigrations(migrations);
  const templates = checkTemplateOptions(definition.templates);
  checkEventHandlers(events);
  checkContributions(contributions);
  const checkedCommands = checkCommands(commands);
  return Object.freeze({
    app,
    migrations: migrations === undefined ? undefined : Object.freeze({ ...migrations }),
    init,
    shutdown,
    templates,
    events: events === undefined ? undefined : Object.freeze({ ...events }),
    contributions: contributions === undefined ? undefined : Object.freeze({ ...contributions }),
    hooks: checkLocalHooks(hooks),
    globalHooks: checkGlobalHooks(globalHooks),
    commands: checkedCommands as PluginDefinition<DB>["commands"],
    [PLUGIN_BRAND]: SDK_VERSION,
  });
}

function checkMigrations(migrations: unknown): void {
  if (migrations === undefined) return;
  if (typeof migrations !== "object" || migrations === null || Array.isArray(migrations)) {
    throw new TypeError(
      `definePlugin({ migrations }): migrations must be an object of name -> { up, down? }, got ${describeValue(migrations)}`,
    );
  }
  for (const [name, migration] of Object.entries(migrations)) {
    const { up, down } = (migration ?? {}) as { up?: unknown; down?: unknown };
    if (typeof migration !== "object" || migration === null || typeof up !== "function") {
      throw new TypeError(`definePlugin({ migrations }): migration ${JSON.stringify(name)} must be { up, down? } with up a function, got ${describeValue(migration)}`);
    }
    if (down !== undefined && typeof down !== "function") {
      throw new TypeError(`definePlugin({ migrations }): the down of migration ${JSON.stringify(name)} must be a function, got ${describeValue(down)}`);
    }
  }
}

