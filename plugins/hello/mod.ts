/**
 * The smallest Corral plugin: a greeting, a JSON answer and an echo. Needs no permission. It also
 * subscribes to `notes.created` (an event of the notes plugin) and contributes a box to notes'
 * `notes.sidebar` extension point.
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import { activity, onNoteCreated, sidebarBox } from "./activity.ts";

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

app.get("/activity", (c) => c.json(activity));

export default definePlugin({
  app,
  events: { "notes.created": onNoteCreated },
  contributions: { "notes.sidebar": sidebarBox },
});
