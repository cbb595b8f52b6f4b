/**
 * The Corral SDK, imported by plugins as `@corral/sdk`.
 *
 * A plugin is a folder with a `plugin.json` manifest and an entry module (default `mod.ts`) whose
 * default export comes from {@linkcode definePlugin}. Its routes are a Hono app; the host mounts
 * them at `/plugins/<name>/` and runs the plugin in its own locked-down Deno process. A plugin
 * whose manifest says `"database": true` gets its own Postgres schema as `ctx.db`, a Kysely
 * instance, and its `migrations` run there before it starts (see docs/database.md). Request
 * `hooks` run around its own routes, and `globalHooks` (declared in its manifest too) around
 * everyone else's requests (see docs/writing-plugins.md, "Request hooks"). To test a
 * plugin without the host, use `testPlugin()` (and `fakeDatabase()`) from `@corral/sdk/testing`.
 * instance, and its `migrations` run there before it starts (see docs/database.md). A plugin's
 * `commands` run from the command line (`npx corral run <plugin>:<command>`), and a manifest with
 * `"cache"` gives it `ctx.cache`. To test a plugin without the host, use `testPlugin()` (and
 * `fakeDatabase()`) from `@corral/sdk/testing`.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", (c) => c.text("Hello from Deno!"));
 * app.get("/me", (c) => c.json({ name: c.env.name, version: c.env.version }));
 *
 * export default definePlugin({ app });
 * ```
 *
 * @module
 */

export { definePlugin } from "./define-plugin.ts";
export { DatabaseError } from "./db/database-error.ts";
export { SDK_VERSION } from "./version.ts";
export { render } from "./templates/render.ts";
export type { RenderTarget } from "./templates/render.ts";
export { escapeHtml, safeHtml } from "./templates/safe-html.ts";
export type { SafeHtml } from "./templates/safe-html.ts";
export type { TemplateHelper, TemplateRequest, Templates } from "./templates/types.ts";
export type {
  JsonObject,
  JsonValue,
  LogFields,
  Logger,
  LogLevel,
  LogRecord,
  PluginApp,
  PluginContext,
  PluginDefinition,
  PluginEnv,
  PluginMigrations,
  RequestInfo,
  TemplateContextProcessor,
  TemplateOptions,
} from "./types.ts";
export type {
  Contribution,
  ContributionHandler,
  Contributions,
  EmitReceipt,
  EventHandler,
  EventHandlers,
  PluginEvent,
  PluginEvents,
  PluginExtensions,
} from "./events/types.ts";
export type {
  AfterRequestHook,
  BeforeRequestHook,
  BeforeRequestResult,
  ErrorHook,
  GlobalRequest,
  GlobalRequestHooks,
  GlobalResponse,
  HookContext,
  OneOrMany,
  RequestHooks,
  RequestOutcome,
  TeardownRequestHook,
} from "./hooks/types.ts";
export type { CommandIo, PluginCommand, PluginCommands } from "./types.ts";
export type { CacheSetOptions, PluginCache } from "./cache/types.ts";
export type { HostAccess, HostHealth, HostHealthReport, HostPluginHealth } from "./host/types.ts";
