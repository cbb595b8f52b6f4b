/**
 * `definePlugin()`: how a plugin module describes itself to Corral.
 *
 * @module
 */

import type { PluginDefinition } from "./types.ts";
import { PLUGIN_BRAND } from "./_brand.ts";
import { SDK_VERSION } from "./version.ts";

/**
 * Declares a Corral plugin. The plugin's entry module (default `mod.ts`) must default-export what
 * this returns: a frozen copy of `definition`, marked so the runner can recognise it.
 *
 * Throws a `TypeError` when `app` has no `fetch` function or a hook is not a function, so the
 * mistake shows up where it is made rather than at the first request.
 *
 * @param definition The plugin's Hono app and its optional `init` and `shutdown` hooks.
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
 */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError(`definePlugin() expects an object like { app }, got ${describe(definition)}`);
  }
  const { app, init, shutdown } = definition;
  if (typeof app !== "object" || app === null || typeof app.fetch !== "function") {
    throw new TypeError(
      `definePlugin({ app }): app must be a Hono app (an object with a fetch() method), got ${describe(app)}`,
    );
  }
  for (const [hook, value] of [["init", init], ["shutdown", shutdown]] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`definePlugin({ ${hook} }): ${hook} must be a function, got ${describe(value)}`);
    }
  }
  return Object.freeze({ app, init, shutdown, [PLUGIN_BRAND]: SDK_VERSION });
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : String(value);
}
