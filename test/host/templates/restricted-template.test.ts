// The language of a plugin's own error pages, which the host compiles.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED_TEMPLATES_DIR } from "../../../host/templates/error-pages.ts";
import { compileRestricted } from "../../../host/templates/restricted-template.ts";

const DATA = { status: 503, statusText: "Service Unavailable", code: "CORRAL_E_PLUGIN_FAILED", message: "<b>x</b>", requestId: "", plugin: "p" };

test("fields, if/unless/else and comments are allowed; values are escaped", () => {
  const page = compileRestricted("{{!-- c --}}<h1>{{status}} {{statusText}}</h1>{{#if requestId}}id{{else}}no id{{/if}}{{#unless plugin}}host{{/unless}}<p>{{message}}</p>");
  assert.is(page(DATA), "<h1>503 Service Unavailable</h1>no id<p>&lt;b&gt;x&lt;/b&gt;</p>");
});

test("partials, helpers, unescaped output, other values, @data and decorators are refused", () => {
  const refused: Record<string, RegExp> = {
    "{{> nav}}": /line 1: a partial is not allowed/,
    "{{#> layout}}x{{/layout}}": /a partial/,
    "{{{message}}}": /unescaped output/,
    "{{&message}}": /unescaped output/,
    "{{lookup this 'constructor'}}": /a helper call/,
    "{{log message}}": /a helper call/,
    "{{constructor}}": /the value "constructor"/,
    "{{message.length}}": /the value "message\.length"/,
    "{{@root.message}}": /the value "@root\.message"/,
    "{{../message}}": /the value/,
    "{{#each message}}x{{/each}}": /the block \{\{#each\}\}/,
    "{{#with message}}x{{/with}}": /the block/,
    "{{#if (lookup this 'x')}}x{{/if}}": /the value "SubExpression"/,
    "{{#*inline \"x\"}}y{{/inline}}": /a decorator/,
    "\n\n{{> nav}}": /line 3/,
  };
  for (const [source, reason] of Object.entries(refused)) {
    assert.throws(() => compileRestricted(source), reason, source);
  }
});

test("every shipped error page is written in the restricted language, so it is an example a plugin can copy", () => {
  const files = readdirSync(join(SHIPPED_TEMPLATES_DIR, "errors")).filter((f) => f.endsWith(".hbs"));
  assert.equal(files.sort(), ["404.hbs", "500.hbs", "503.hbs", "error.hbs"]);
  for (const file of files) {
    const html = compileRestricted(readFileSync(join(SHIPPED_TEMPLATES_DIR, "errors", file), "utf8"))(DATA);
    assert.match(html, "<!doctype html>", file);
    assert.match(html, "&lt;b&gt;x&lt;/b&gt;", file);
  }
});

test.run();
