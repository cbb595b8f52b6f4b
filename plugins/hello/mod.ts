/**
 * The smallest Corral plugin: a greeting, a JSON answer and an echo. Needs no permission.
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";

const app = new Hono<PluginEnv>();

app.get("/", (c) => c.text("Hello from Deno!"));

app.get("/json", (c) =>
  c.json({
    message: "Hello from Deno!",
    plugin: { name: c.env.name, version: c.env.version },
    deno: Deno.version.deno,
  }));

app.post("/echo", async (c) => {
  const body = await c.req.arrayBuffer();
  return c.body(body, 200, { "content-type": c.req.header("content-type") ?? "application/octet-stream" });
});

export default definePlugin({ app });
