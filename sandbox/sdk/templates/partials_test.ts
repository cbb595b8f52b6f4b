/** Tests of finding the partials a template uses, and where their files are. @module */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import Handlebars from "handlebars";
import { partialNames, partialPath } from "./partials.ts";

Deno.test("partialNames: literal partials and partial blocks, nested anywhere, each once", () => {
  const ast = Handlebars.parse(
    '{{#> layouts/base}}{{#each items}}{{> item}}{{/each}}{{#if x}}{{> "quoted"}}{{else}}{{> item}}{{/if}}{{/layouts/base}}',
  );
  deepStrictEqual(partialNames(ast), ["layouts/base", "item", "quoted"]);
});

Deno.test("partialNames: @partial-block, dynamic names and inline partials of the same template are skipped", () => {
  const ast = Handlebars.parse('{{#*inline "head"}}h{{/inline}}{{> @partial-block}}{{> (lookup . "which")}}{{> head}}{{> nav}}');
  deepStrictEqual(partialNames(ast), ["nav"]);
});

Deno.test("partialPath: a bare name is in partials/, a name with a slash is a path from templates/", () => {
  strictEqual(partialPath("nav"), "partials/nav.hbs");
  strictEqual(partialPath("layouts/base"), "layouts/base.hbs");
  strictEqual(partialPath("partials/forms/field"), "partials/forms/field.hbs");
  strictEqual(partialPath("../x"), undefined);
  strictEqual(partialPath(".x"), undefined);
});
