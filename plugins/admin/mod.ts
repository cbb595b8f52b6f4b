/**
 * The admin plugin: one page, `/plugins/admin/`, listing what other plugins contribute to the
 * `admin.pages` extension point, filtered by the signed-in user's roles. It trusts the host for
 * who the user is (`locals.identity`, set by the granted identity provider, e.g. plugins/auth)
 * and for keeping signed-out users away (its manifest's `access`). Contributed pages are
 * guarded by their own plugins' `access` rules: hiding a link is not protecting a page.
 * `GET /pages.json` gives the same list as JSON. See docs/plugins/admin.md.
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import type { Context } from "hono";
import { html } from "hono/html";
import { type Gathered, pagesOf, visiblePages } from "./menu.ts";

const app = new Hono<PluginEnv>();

interface Identity {
  readonly user: { readonly name: string };
  readonly roles: readonly string[];
}

async function menu(c: Context<PluginEnv>) {
  // The host let the request through, so an identity is there; read it defensively anyway.
  const identity = (c.env.request.locals.identity ?? null) as Identity | null;
  const roles = identity?.roles ?? [];
  const gathered = await c.env.extensions.gather("admin.pages", { roles });
  return { identity, pages: visiblePages(pagesOf(gathered as Gathered[]), roles) };
}

app.get("/pages.json", async (c) => {
  const { pages } = await menu(c);
  return c.json({ pages });
});

app.get("/", async (c) => {
  const { identity, pages } = await menu(c);
  return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Admin</title></head>
<body><header>Admin · <span class="user">${identity?.user.name ?? ""}</span></header>
<nav><ul class="admin-menu">${pages.map((page) => html`<li><a href="${page.href}">${page.title}</a></li>`)}</ul></nav>
${pages.length === 0 ? html`<p class="empty">Nothing here for your roles.</p>` : ""}
</body></html>`);
});

export default definePlugin({ app });
