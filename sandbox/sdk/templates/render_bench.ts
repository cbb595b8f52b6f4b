/**
 * What a render costs the plugin process: a page with a layout, two partials, an `each` of 20
 * rows, a plugin helper and a context processor, warm (cache hit: no host call) and cold (every
 * file fetched and compiled again), against Hono's `c.text()` for scale
 * (`deno bench --config deno.json --no-prompt --no-remote sandbox/sdk/templates/render_bench.ts`).
 *
 * @module
 */

import { Hono } from "hono";
import { definePlugin, render, type PluginEnv } from "../mod.ts";
import { startPlugin } from "../_internal.ts";
import { PLUGIN_CALLS } from "../_calls.ts";
import { memoryTemplateSource } from "./memory-source.ts";

const TEMPLATES = {
  "layouts/base.hbs": "<!doctype html><html><head><title>{{title}} · {{siteName}}</title>" +
    '<link rel="stylesheet" href="{{static_url "app.css"}}"></head><body>{{> nav}}<main>{{> @partial-block}}</main></body></html>',
  "partials/nav.hbs": '<nav><a href="{{url_for "/"}}">home</a>{{#if user}} {{user.name}}{{/if}}</nav>',
  "partials/row.hbs": "<li>{{shout title}} <small>{{created}}</small></li>",
  "list.hbs": '{{#> layouts/base}}<h1>{{title}}</h1><ul>{{#each notes}}{{> row}}{{/each}}</ul><form method="post">{{csrf_field}}</form>{{/layouts/base}}',
};
const notes = Array.from({ length: 20 }, (_, i) => ({ title: `note <${i}>`, created: "2024-05-01" }));

const app = new Hono<PluginEnv>();
app.get("/list", (c) => render(c, "list", { title: "Notes", notes }));
app.get("/text", (c) => c.text("hello"));
const definition = definePlugin({
  app,
  templates: {
    helpers: { shout: (text: unknown) => String(text).toUpperCase() },
    contextProcessors: [(_c, ctx) => ({ siteName: ctx.name })],
  },
});
const plugin = await startPlugin(definition, {
  name: "bench", version: "1", config: {}, sink: () => {}, templates: memoryTemplateSource(TEMPLATES),
});
const internals = { definition, context: plugin.context, host: { call: () => Promise.resolve(null) } };
const context = { requestId: "r", csrfToken: "token", locals: { user: { name: "Ada" } } };
const page = await (await plugin.fetch(new Request("http://plugin.local/list"), context)).text();
if (!page.includes("NOTE &lt;19&gt;")) throw new Error(`unexpected page: ${page}`);

Deno.bench("c.text() through the plugin's app (for scale)", { baseline: true }, async () => {
  await (await plugin.fetch(new Request("http://plugin.local/text"), context)).text();
});

Deno.bench("render(c, 'list') warm: layout + 2 partials + 20 rows, cache hit", async () => {
  await (await plugin.fetch(new Request("http://plugin.local/list"), context)).text();
});

Deno.bench("render(c, 'list') cold: every file fetched and compiled again", async () => {
  PLUGIN_CALLS["templates.invalidate"]!(internals, { all: true });
  await (await plugin.fetch(new Request("http://plugin.local/list"), context)).text();
});
