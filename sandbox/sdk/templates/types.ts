/**
 * The shapes of the templates feature: what a plugin calls (`ctx.templates.render`) and where
 * template sources come from. What it declares (`TemplateOptions`) is in ../types.ts, beside the
 * plugin context it refers to.
 *
 * @module
 */

/**
 * A Handlebars helper (a "filter" in Jinja's words): called with the values written after its
 * name in the template, then Handlebars' options object (`{ hash, fn, inverse, data }`) last.
 * `this` is the current context. What it returns is escaped, unless it is {@linkcode safeHtml}.
 * Helpers are synchronous.
 *
 * @example
 * ```ts
 * import type { TemplateHelper } from "@corral/sdk";
 *
 * // {{shout title}} -> "HELLO!"
 * const shout: TemplateHelper = (text: unknown) => `${String(text).toUpperCase()}!`;
 * ```
 */
export type TemplateHelper = (...args: never[]) => unknown;

/**
 * The slice of Hono's `Context` a render reads: the request's method, path and URL, and the
 * host's request values (`c.env.request`: user, CSRF token). A Hono handler's `c` is one.
 *
 * @example
 * ```ts
 * import type { TemplateRequest } from "@corral/sdk";
 *
 * const fake: TemplateRequest = {
 *   req: { method: "GET", path: "/", url: "http://plugin.local/" },
 *   env: { request: { requestId: "r1", csrfToken: "t", locals: {} } },
 * };
 * ```
 */
export interface TemplateRequest {
  readonly req: { readonly method: string; readonly path: string; readonly url: string };
  /** `c.env.request` (see `RequestInfo`): the CSRF token and the values hooks attached. */
  readonly env: {
    readonly request: { readonly requestId?: string; readonly csrfToken: string; readonly locals: Readonly<Record<string, unknown>> };
  };
}

/**
 * Renders the plugin's Handlebars templates: `ctx.templates` (also `c.env.templates`).
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", async (c) => c.html(await c.env.templates.render("home", { title: "Hi" }, c)));
 *
 * export default definePlugin({ app });
 * ```
 */
export interface Templates {
  /**
   * Renders `templates/<name>.hbs` (`.hbs` may be left out) with `data`, the host's values
   * (`request`, `user`, `csrfToken`; given `c`) and the context processors' values.
   *
   * @throws TypeError when `name` is not a path inside `templates/`.
   * @throws CorralError `CORRAL_E_TEMPLATE_NOT_FOUND` when there is no such template,
   *   `CORRAL_E_TEMPLATE_FAILED` when it does not compile or a helper or partial fails.
   */
  render(name: string, data?: Readonly<Record<string, unknown>>, c?: TemplateRequest): Promise<string>;
}

/** One template's source, as the host serves it. */
export interface TemplateFile {
  readonly source: string;
  /** Changes whenever the file does (informational: invalidation comes from the host). */
  readonly version: string;
}

/**
 * Where a plugin's template sources come from: the host (`templates.get`, `static.urls`) in
 * production, memory or a folder under `testPlugin()`.
 */
export interface TemplateSource {
  /** The template at `path` (e.g. `"notes/list.hbs"`), or null when there is none. */
  get(path: string): Promise<TemplateFile | null>;
  /** The URLs of the plugin's static files by path (fingerprinted when the host does that). */
  staticUrls(): Promise<Readonly<Record<string, string>>>;
  /** Says where `path` was looked for, for the "not found" message. */
  describeMissing(path: string): string;
}
