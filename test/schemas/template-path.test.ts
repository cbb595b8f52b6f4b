// The template path rule the SDK and the host share.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { templatePathOf, templatePathProblem } from "../../schemas/template-path.ts";

test("template paths: relative .hbs paths of plain segments pass", () => {
  for (const path of ["a.hbs", "notes/list.hbs", "layouts/base.hbs", "partials/forms/field-1.hbs", "errors/404.hbs", "a b/ü.hbs"]) {
    assert.is(templatePathProblem(path), undefined, path);
  }
});

test("template paths: traversal, absolute, hidden, backslashes, control characters and other extensions are refused", () => {
  const refused: Record<string, RegExp> = {
    "": /empty/,
    "../x.hbs": /segment "\.\." is not allowed/,
    "a/../../x.hbs": /segment "\.\."/,
    "./x.hbs": /segment "\."/,
    "/etc/x.hbs": /absolute/,
    ".secret.hbs": /hidden/,
    "a/.git/x.hbs": /hidden/,
    "a//b.hbs": /empty segment/,
    "a\\..\\b.hbs": /backslash/,
    "a\u0000.hbs": /control character/,
    "a\n.hbs": /control character/,
    "plugin.json": /does not end in \.hbs/,
    "x.hbs.bak": /does not end in \.hbs/,
    [`${"a/".repeat(200)}x.hbs`]: /longer than 256/,
  };
  for (const [path, reason] of Object.entries(refused)) assert.match(templatePathProblem(path) ?? "", reason, JSON.stringify(path));
});

test("template names: .hbs is added when missing; unsafe names give undefined", () => {
  assert.is(templatePathOf("notes/list"), "notes/list.hbs");
  assert.is(templatePathOf("notes/list.hbs"), "notes/list.hbs");
  assert.is(templatePathOf("../x"), undefined);
  assert.is(templatePathOf(".env"), undefined);
  assert.is(templatePathOf(42 as unknown as string), undefined);
});

test.run();
