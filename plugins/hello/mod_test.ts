/** Tests of the hello plugin, through @corral/sdk/testing. @module */

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { testPlugin } from "@corral/sdk/testing";
import plugin from "./mod.ts";

Deno.test("hello: GET / answers the greeting as text", async () => {
  await using hello = await testPlugin(plugin);
  const response = await hello.fetch("/");
  strictEqual(response.status, 200);
  match(response.headers.get("content-type") ?? "", /^text\/plain;\s?charset=UTF-8$/);
  strictEqual(await response.text(), "Hello from Deno!");
});

Deno.test("hello: GET /json names the plugin and the Deno version", async () => {
  await using hello = await testPlugin(plugin, { name: "hello", version: "1.0.0" });
  const response = await hello.fetch("/json");
  strictEqual(response.status, 200);
  deepStrictEqual(await response.json(), {
    message: "Hello from Deno!",
    plugin: { name: "hello", version: "1.0.0" },
    deno: Deno.version.deno,
  });
});

Deno.test("hello: POST /echo answers the body and content type it was sent", async () => {
  await using hello = await testPlugin(plugin);
  const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
  const response = await hello.fetch("/echo", {
    method: "POST",
    headers: { "content-type": "application/x-test" },
    body: bytes,
  });
  strictEqual(response.status, 200);
  strictEqual(response.headers.get("content-type"), "application/x-test");
  deepStrictEqual(new Uint8Array(await response.arrayBuffer()), bytes);
});

Deno.test("hello: an unknown path is a 404", async () => {
  await using hello = await testPlugin(plugin);
  const response = await hello.fetch("/nope");
  strictEqual(response.status, 404);
  await response.body?.cancel();
});
