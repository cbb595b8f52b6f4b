/** Tests of definePlugin(), the one function every plugin calls. @module */

import { ok, strictEqual, throws } from "node:assert/strict";
import { Hono } from "hono";
import { PLUGIN_BRAND } from "./_brand.ts";
import { definePlugin, type PluginDefinition } from "./mod.ts";

Deno.test("definePlugin: returns a frozen definition and checks what it is given", () => {
  const app = new Hono();
  const definition = definePlugin({ app });
  ok(Object.isFrozen(definition));
  strictEqual(definition.app, app);
  strictEqual(
    (definition as unknown as Record<symbol, unknown>)[PLUGIN_BRAND],
    "0.1.0",
    "branded with the SDK version",
  );
  throws(
    () => definePlugin(undefined as unknown as PluginDefinition),
    /expects an object like \{ app \}, got undefined/,
  );
  throws(() => definePlugin({} as PluginDefinition), /app must be a Hono app .* got undefined/);
  throws(() => definePlugin({ app: {} } as PluginDefinition), /got an object/);
  throws(() => definePlugin({ app, init: "x" } as unknown as PluginDefinition), /init must be a function, got "x"/);
});
