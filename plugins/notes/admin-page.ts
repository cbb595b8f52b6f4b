/**
 * The notes plugin's page in the admin area: note and tag counts. The admin plugin lists it
 * (the `admin.pages` contribution below) for users with role "admin"; the host guards the page
 * itself (plugin.json `access`: `/admin/*` needs "admin"), so this code never checks roles.
 *
 * @module
 */

import type { PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Database } from "./schema.ts";

export const adminPage = new Hono<PluginEnv<Database>>();

adminPage.get("/", async (c) => {
  const db = c.env.db;
  const notes = await db.selectFrom("notes").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
  const tags = await db.selectFrom("note_tags").select((eb) => eb.fn.count<string>("tag").distinct().as("n")).executeTakeFirstOrThrow();
  return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notes · admin</title></head>
<body><h1>Notes</h1><p class="counts"><span class="notes">${notes.n}</span> notes, <span class="tags">${tags.n}</span> tags.</p>
<p><a href="/plugins/admin/">Back to admin</a></p></body></html>`);
});

/** The notes entry of the admin menu (extension point `admin.pages` of plugins/admin). */
export const adminMenuEntry = () => ({ title: "Notes statistics", href: "/plugins/notes/admin", roles: ["admin"] });
