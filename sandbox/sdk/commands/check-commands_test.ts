/** Tests of definePlugin({ commands }) validation. @module */

import { ok, strictEqual, throws } from "node:assert/strict";
import { Hono } from "hono";
import { definePlugin, type PluginDefinition } from "../mod.ts";

function define(commands: unknown) {
  return definePlugin({ app: new Hono(), commands } as unknown as PluginDefinition);
}

Deno.test("definePlugin: commands are kept, frozen, under valid names", () => {
  const run = () => {};
  const definition = define({ export: { description: "prints notes", run }, "re-index2": { run } });
  strictEqual(definition.commands?.export.run, run);
  strictEqual(definition.commands?.export.description, "prints notes");
  ok(Object.isFrozen(definition.commands) && Object.isFrozen(definition.commands?.export));
  strictEqual(define(undefined).commands, undefined);
});

Deno.test("definePlugin: bad commands are a TypeError naming the command and the problem", () => {
  throws(() => define([]), /commands must be an object of name -> \{ run, description\? \}, got an array/);
  throws(() => define({ Export: { run() {} } }), /"Export" is not a command name/);
  throws(() => define({ "a:b": { run() {} } }), /"a:b" is not a command name/);
  throws(() => define({ export: () => {} }), /command "export" must be \{ run, description\? \} with run a function, got a function/);
  throws(() => define({ export: {} }), /command "export" must be .* got an object/);
  throws(() => define({ export: { run() {}, description: 5 } }), /the description of command "export" must be a string, got 5/);
});
