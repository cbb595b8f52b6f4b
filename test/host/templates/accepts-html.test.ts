// Which clients get an HTML error page.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { acceptsHtml } from "../../../host/templates/accepts-html.ts";

test("browsers get HTML; fetch, curl and API clients keep JSON", () => {
  const html = [
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "text/html",
    "application/xhtml+xml",
    "TEXT/HTML; charset=utf-8",
    "application/json;q=0.5, text/html",
  ];
  const json = [undefined, "", "*/*", "application/json", "application/json, text/html;q=0.5", "text/html;q=0", "text/plain", "application/problem+json, text/html;q=0.9", "text/html;q=abc"];
  for (const accept of html) assert.ok(acceptsHtml(accept), String(accept));
  for (const accept of json) assert.not.ok(acceptsHtml(accept), String(accept));
});

test.run();
