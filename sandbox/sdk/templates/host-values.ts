/**
 * What the host gives every template: the values (`request`, `user`, `csrfToken`) and the helpers
 * (`csrf_field`, `url_for`, `static_url`). The helpers read their per-render inputs from
 * Handlebars' private data (`@corral`), which partials and block helpers inherit.
 *
 * @module
 */

import type { TemplateRequest } from "./types.ts";
import { escapeHtml, safeHtml } from "./safe-html.ts";

/** Per-render inputs of the host helpers, passed as Handlebars data `@corral`. */
export interface HostRenderData {
  readonly csrfToken: string;
  readonly mountPath: string;
  readonly staticUrls: Readonly<Record<string, string>>;
}

/** The request as templates see it: `{{request.path}}` is the public path, mount included. */
export interface TemplateRequestValue {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

/** Names of the helpers the host provides; a plugin may not define its own with these names. */
export const HOST_HELPERS = ["csrf_field", "url_for", "static_url"] as const;

/** The host's values for a render: empty outside a request. */
export function hostValues(c: TemplateRequest | undefined, mountPath: string): Record<string, unknown> {
  if (c === undefined) return { request: undefined, user: undefined, csrfToken: "" };
  const query: Record<string, string> = {};
  // First value wins, as in Hono's c.req.query().
  for (const [key, value] of new URL(c.req.url).searchParams) if (!Object.hasOwn(query, key)) query[key] = value;
  const request: TemplateRequestValue = { method: c.req.method, path: mountPath + c.req.path, query };
  return { request, user: c.env.request.locals.user, csrfToken: c.env.request.csrfToken };
}

/** Handlebars' options object, as far as the host helpers read it. */
interface HelperOptions {
  readonly hash?: Readonly<Record<string, unknown>>;
  readonly data?: { readonly corral?: HostRenderData };
}

/** The last argument Handlebars passes to a helper. */
function optionsOf(args: readonly unknown[]): HelperOptions {
  return (args[args.length - 1] ?? {}) as HelperOptions;
}

function renderData(options: HelperOptions, helper: string): HostRenderData {
  const data = options.data?.corral;
  if (data === undefined) throw new Error(`{{${helper}}} works only in templates rendered by ctx.templates.render()`);
  return data;
}

/** `{{csrf_field}}`: the hidden `_csrf` input a form must send back. */
function csrfField(...args: unknown[]): unknown {
  const { csrfToken } = renderData(optionsOf(args), "csrf_field");
  return safeHtml(`<input type="hidden" name="_csrf" value="${escapeHtml(csrfToken)}">`);
}

/** `{{url_for "/notes" page=2}}`: "/plugins/<name>/notes?page=2" (the plugin's mount + path). */
function urlFor(...args: unknown[]): string {
  const options = optionsOf(args);
  const path = args.length > 1 ? args[0] : "/";
  if (typeof path !== "string") throw new TypeError(`{{url_for}} needs a path string such as "/notes", got ${typeof path}`);
  const { mountPath } = renderData(options, "url_for");
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options.hash ?? {})) {
    if (value !== undefined && value !== null) query.append(key, String(value));
  }
  const search = query.size === 0 ? "" : (path.includes("?") ? "&" : "?") + query.toString();
  return mountPath + (path.startsWith("/") ? path : "/" + path) + search;
}

/**
 * `{{static_url "app.css"}}`: the URL of `static/app.css`: the host's fingerprinted URL when it
 * has one, else "/plugins/<name>/static/app.css".
 */
function staticUrl(...args: unknown[]): string {
  const options = optionsOf(args);
  const path = args.length > 1 ? args[0] : undefined;
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`{{static_url}} needs a file path inside static/ such as "app.css", got ${JSON.stringify(path)}`);
  }
  const relative = path.replace(/^\/+/, "");
  const segments = relative.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new TypeError(`{{static_url}}: ${JSON.stringify(path)} is not a path inside static/`);
  }
  const { mountPath, staticUrls } = renderData(options, "static_url");
  return Object.hasOwn(staticUrls, relative)
    ? staticUrls[relative]!
    : `${mountPath}/static/${segments.map(encodeURIComponent).join("/")}`;
}

/** The host helpers, by name. */
export const hostHelpers: Readonly<Record<(typeof HOST_HELPERS)[number], (...args: unknown[]) => unknown>> = Object.freeze({
  csrf_field: csrfField,
  url_for: urlFor,
  static_url: staticUrl,
});
