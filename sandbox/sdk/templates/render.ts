/**
 * `render(c, name, data, status)`: a template as a Hono HTML response, in one line of a handler.
 *
 * @module
 */

import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Templates, TemplateRequest } from "./types.ts";

/** The slice of Hono's `Context` that {@linkcode render} uses; a handler's `c` is one. */
export interface RenderTarget extends TemplateRequest {
  readonly env: TemplateRequest["env"] & { readonly templates: Templates };
  html(html: string, status?: ContentfulStatusCode): Response | Promise<Response>;
}

/**
 * Renders `templates/<name>.hbs` with `data` for the request `c` and answers it as HTML
 * (`content-type: text/html; charset=UTF-8`) with `status`. The template also sees `request`,
 * `user`, `csrfToken`, the helpers `csrf_field`, `url_for` and `static_url`, and the values of
 * the plugin's context processors; `data` wins over them.
 *
 * @param c The handler's Hono context.
 * @param name The template's path inside `templates/`, `.hbs` optional.
 * @param data Values for the template; escaped when printed with `{{…}}`.
 * @param status The response status (default 200).
 * @throws CorralError `CORRAL_E_TEMPLATE_NOT_FOUND` or `CORRAL_E_TEMPLATE_FAILED` (answered like
 *   any handler error: a 500, the message in the plugin's log).
 *
 * @example
 * ```ts
 * import { definePlugin, render, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/", (c) => render(c, "notes/list", { notes: [{ title: "<b>escaped</b>" }] }));
 * app.notFound((c) => render(c, "errors/404", { path: c.req.path }, 404));
 *
 * export default definePlugin({ app });
 * ```
 */
export async function render(
  c: RenderTarget,
  name: string,
  data: Readonly<Record<string, unknown>> = {},
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return await c.html(await c.env.templates.render(name, data, c), status);
}
