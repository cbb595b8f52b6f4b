/** Tests of rendering in the plugin: layouts, partials, helpers, context processors, escaping, caching. @module */

import { deepStrictEqual, match, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { Hono } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { escapeHtml, render, safeHtml, type TemplateOptions } from "../mod.ts";
import { definePlugin, type PluginDefinition, type PluginEnv } from "../mod.ts";
import { testPlugin } from "../testing.ts";
import { startPlugin } from "../_internal.ts";
import { PLUGIN_CALLS } from "../_calls.ts";
import type { TemplateSource } from "./types.ts";

const TEMPLATES = {
  "layouts/base.hbs": "<html><title>{{title}} – {{siteName}}</title><body>{{> nav}}{{> @partial-block}}</body></html>",
  "partials/nav.hbs": '<nav><a href="{{url_for "/"}}">home</a>{{#if user}} {{user.name}}{{/if}}</nav>',
  "partials/forms/field.hbs": '<input name="{{name}}" value="{{value}}">',
  "home.hbs": "{{#> layouts/base title=\"Home\"}}<h1>{{shout greeting}}</h1>{{> partials/forms/field name=\"q\" value=request.query.q}}{{/layouts/base}}",
  "form.hbs": '<form method="post" action="{{url_for "/notes" page=2}}">{{csrf_field}}</form>',
  "xss.hbs": '<p title="{{value}}">{{value}}</p><div>{{{trusted}}}</div>',
  "proto.hbs": "[{{constructor}}][{{obj.__proto__}}][{{obj.constructor.name}}][{{lookup obj \"constructor\"}}]",
  "blocks.hbs": '{{#*inline "head"}}<meta name="x">{{/inline}}{{#> layouts/slots}}body{{/layouts/slots}}',
  "layouts/slots.hbs": "<head>{{#> head}}<meta name=default>{{/head}}</head><main>{{> @partial-block}}</main>",
  "missing-partial.hbs": "{{> nowhere}}",
  "bad.hbs": "{{#if}}",
  "static.hbs": '<link href="{{static_url "app.css"}}"><script src="{{static_url "js/a b.js"}}"></script>',
  "helper.hbs": "{{badge label}}",
};

const TEMPLATE_OPTIONS: TemplateOptions = {
  helpers: {
    shout: (text: unknown) => `${String(text).toUpperCase()}!`,
    badge: (label: unknown) => safeHtml(`<span class="badge">${escapeHtml(label)}</span>`),
  },
  contextProcessors: [
    (_c, ctx) => ({ siteName: `${ctx.name} site`, greeting: "hello" }),
    (c) => Promise.resolve({ path: c?.req.path ?? "(none)" }),
  ],
};

function pluginWith(app: Hono<PluginEnv>, templates: TemplateOptions = TEMPLATE_OPTIONS): PluginDefinition {
  return definePlugin({ app, templates });
}

Deno.test("templates: a page with a layout, partials, a helper and context processors renders through render(c)", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => render(c, "home"));
  await using running = await testPlugin(pluginWith(app), { name: "tpl", templates: TEMPLATES });
  const response = await running.fetch("/?q=%22%3E%3Cscript%3E");
  strictEqual(response.status, 200);
  strictEqual(response.headers.get("content-type"), "text/html; charset=UTF-8");
  strictEqual(
    await response.text(),
    '<html><title>Home – tpl site</title><body><nav><a href="/plugins/tpl/">home</a></nav>' +
      '<h1>HELLO!</h1><input name="q" value="&quot;&gt;&lt;script&gt;"></body></html>',
  );
});

Deno.test("templates: data is escaped by default, in text and in attributes; {{{ }}} and safeHtml opt out", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => render(c, "xss", { value: `"><script>alert(1)</script>'`, trusted: "<b>ok</b>" }));
  await using page = await testPlugin(pluginWith(app), { templates: TEMPLATES });
  const html = await (await page.fetch("/")).text();
  strictEqual(
    html,
    '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;</p><div><b>ok</b></div>',
  );
  ok(!html.includes("<script>"));
  const helperApp = new Hono<PluginEnv>();
  helperApp.get("/", (c) => render(c, "helper", { label: "<i>x</i>" }));
  await using helper = await testPlugin(pluginWith(helperApp), { templates: TEMPLATES });
  strictEqual(await (await helper.fetch("/")).text(), '<span class="badge">&lt;i&gt;x&lt;/i&gt;</span>');
});

Deno.test("templates: prototype properties stay out of reach of a template", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => render(c, "proto", { obj: { a: 1 } }));
  await using running = await testPlugin(pluginWith(app), { templates: TEMPLATES });
  strictEqual(await (await running.fetch("/")).text(), "[][][][]");
});

Deno.test("templates: csrf_field, user and request come from the host's request context", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/notes", (c) => render(c, "form"));
  app.get("/nav", (c) => render(c, "partials/nav"));
  const plugin = await startPlugin(pluginWith(app), {
    name: "tpl",
    version: "1.0.0",
    config: {},
    sink: () => {},
    templates: sourceOf(TEMPLATES),
  });
  const context = { requestId: "r1", csrfToken: 'tok"en<', locals: { user: { name: "Ada <admin>" } } };
  const form = await (await plugin.fetch(new Request("http://plugin.local/notes"), context)).text();
  strictEqual(form, '<form method="post" action="/plugins/tpl/notes?page&#x3D;2"><input type="hidden" name="_csrf" value="tok&quot;en&lt;"></form>');
  const nav = await (await plugin.fetch(new Request("http://plugin.local/nav"), context)).text();
  strictEqual(nav, '<nav><a href="/plugins/tpl/">home</a> Ada &lt;admin&gt;</nav>');
});

Deno.test("templates: inline partials fill a layout's slots, and a slot's default shows otherwise", async () => {
  const plugin = await startPlugin(pluginWith(new Hono()), {
    name: "t", version: "1", config: {}, sink: () => {},
    templates: sourceOf({ ...TEMPLATES, "plain.hbs": "{{#> layouts/slots}}body{{/layouts/slots}}" }),
  });
  strictEqual(await plugin.context.templates.render("blocks"), '<head><meta name="x"></head><main>body</main>');
  strictEqual(await plugin.context.templates.render("plain"), "<head><meta name=default></head><main>body</main>");
});

Deno.test("templates: static_url uses the host's fingerprinted URL when it has one", async () => {
  const plugin = await startPlugin(pluginWith(new Hono()), {
    name: "tpl", version: "1", config: {}, sink: () => {},
    templates: sourceOf(TEMPLATES, { "app.css": "/plugins/tpl/static/app.3f2a9c.css" }),
  });
  strictEqual(
    await plugin.context.templates.render("static"),
    '<link href="/plugins/tpl/static/app.3f2a9c.css"><script src="/plugins/tpl/static/js/a%20b.js"></script>',
  );
});

Deno.test("templates: a missing template, a missing partial and a syntax error are CorralErrors that name the template", async () => {
  const plugin = await startPlugin(pluginWith(new Hono()), { name: "tpl", version: "1", config: {}, sink: () => {}, templates: sourceOf(TEMPLATES) });
  const t = plugin.context.templates;
  await rejects(t.render("nope/page"), (e: CorralError) => {
    strictEqual(e.code, ErrorCode.TEMPLATE_NOT_FOUND);
    match(e.message, /plugin "tpl" has no template "nope\/page\.hbs"/);
    return true;
  });
  await rejects(t.render("missing-partial"), (e: CorralError) => {
    strictEqual(e.code, ErrorCode.TEMPLATE_FAILED);
    match(e.message, /template "missing-partial\.hbs" failed: The partial nowhere could not be found/);
    return true;
  });
  await rejects(t.render("bad"), (e: CorralError) => e.code === ErrorCode.TEMPLATE_FAILED && /"bad\.hbs" does not compile/.test(e.message));
  await rejects(t.render("../etc/passwd"), TypeError);
  await rejects(t.render("/abs"), TypeError);
});

Deno.test("templates: a missing template through testPlugin answers 500 and logs the template's name", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => render(c, "absent"));
  await using running = await testPlugin(pluginWith(app), { templates: {} });
  const response = await running.fetch("/");
  strictEqual(response.status, 500);
  ok(running.logs.some((r) => r.level === "error" && /no template "absent\.hbs"/.test(r.message)));
});

Deno.test("templates: compiled templates are cached until templates.invalidate names them", async () => {
  const files: Record<string, string> = { "page.hbs": "v1 {{> part}}", "partials/part.hbs": "p1" };
  const fetched: string[] = [];
  const source: TemplateSource = {
    get: (path) => {
      fetched.push(path);
      return Promise.resolve(path in files ? { source: files[path]!, version: "" } : null);
    },
    staticUrls: () => Promise.resolve({}),
    describeMissing: () => "",
  };
  const definition = pluginWith(new Hono());
  const plugin = await startPlugin(definition, { name: "t", version: "1", config: {}, sink: () => {}, templates: source });
  const internals = { definition, context: plugin.context, host: { call: () => Promise.resolve(null) } };
  strictEqual(await plugin.context.templates.render("page"), "v1 p1");
  strictEqual(await plugin.context.templates.render("page"), "v1 p1");
  deepStrictEqual(fetched, ["page.hbs", "partials/part.hbs"], "the second render makes no fetch");
  files["partials/part.hbs"] = "p2";
  files["page.hbs"] = "v2 {{> part}}";
  deepStrictEqual(await PLUGIN_CALLS["templates.invalidate"]!(internals, { paths: ["partials/part.hbs"] }), { dropped: 1 });
  strictEqual(await plugin.context.templates.render("page"), "v1 p2", "only the named path is fetched again");
  deepStrictEqual(await PLUGIN_CALLS["templates.invalidate"]!(internals, { all: true }), { dropped: 2 });
  strictEqual(await plugin.context.templates.render("page"), "v2 p2");
  throws(() => PLUGIN_CALLS["templates.invalidate"]!(internals, { paths: "x" }), /expects \{ paths: \[strings\] \} or \{ all: true \}/);
});

Deno.test("templates: a failed fetch is not cached; the next render asks again", async () => {
  let calls = 0;
  const source: TemplateSource = {
    get: () => ++calls === 1 ? Promise.reject(new CorralError(ErrorCode.CALL_TIMEOUT, "no answer")) : Promise.resolve({ source: "ok", version: "" }),
    staticUrls: () => Promise.resolve({}),
    describeMissing: () => "",
  };
  const plugin = await startPlugin(pluginWith(new Hono()), { name: "t", version: "1", config: {}, sink: () => {}, templates: source });
  await rejects(plugin.context.templates.render("page"), /no answer/);
  strictEqual(await plugin.context.templates.render("page"), "ok");
});

Deno.test("templates: outside a request there is no request, user or token, and explicit data wins over processors", async () => {
  const plugin = await startPlugin(pluginWith(new Hono()), {
    name: "t", version: "1", config: {}, sink: () => {},
    templates: sourceOf({ "mail.hbs": "{{greeting}} {{siteName}} [{{request.path}}][{{user}}][{{csrfToken}}][{{path}}]" }),
  });
  strictEqual(await plugin.context.templates.render("mail", { greeting: "hi" }), "hi t site [][][][(none)]");
});

Deno.test("definePlugin({ templates }): helpers and context processors are checked", () => {
  const app = new Hono();
  throws(() => definePlugin({ app, templates: 5 as never }), /templates must be an object/);
  throws(() => definePlugin({ app, templates: { helper: {} } as never }), /unknown key "helper"/);
  throws(() => definePlugin({ app, templates: { helpers: { x: 1 } } as never }), /helper "x" must be a function, got 1/);
  throws(() => definePlugin({ app, templates: { helpers: { csrf_field: () => "" } } }), /helper "csrf_field" is provided by the host/);
  throws(() => definePlugin({ app, templates: { helpers: { each: () => "" } } }), /provided by Handlebars/);
  throws(() => definePlugin({ app, templates: { helpers: { "a b": () => "" } } }), /helper name "a b"/);
  throws(() => definePlugin({ app, templates: { contextProcessors: [() => ({}), "x"] } as never }), /contextProcessors\[1\] must be a function/);
  ok(Object.isFrozen(definePlugin({ app, templates: { helpers: { a: () => "" } } }).templates));
});

function sourceOf(files: Record<string, string>, staticUrls: Record<string, string> = {}): TemplateSource {
  return {
    get: (path) => Promise.resolve(Object.hasOwn(files, path) ? { source: files[path]!, version: "1" } : null),
    staticUrls: () => Promise.resolve(staticUrls),
    describeMissing: (path) => `no ${path}`,
  };
}
