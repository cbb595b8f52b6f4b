/**
 * Target (c): what a user would build instead of Corral: a Hono app on Node that reverse-proxies
 * to the Deno server with undici (keep-alive pool). Usage: node --import tsx servers/undici-proxy.ts <port> <upstream port>
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Pool } from "undici";

const port = Number(process.argv[2] ?? 19003);
const upstream = Number(process.argv[3] ?? 19002);
const pool = new Pool(`http://127.0.0.1:${upstream}`, { connections: 64 });
const app = new Hono();
app.all("*", async (c) => {
  const body = c.req.method === "GET" || c.req.method === "HEAD" ? undefined : Buffer.from(await c.req.arrayBuffer());
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    if (name !== "connection" && name !== "host") headers[name] = value;
  });
  const res = await pool.request({ path: c.req.path, method: c.req.method as "GET", headers, body });
  const out = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (name === "connection" || name === "keep-alive" || name === "transfer-encoding" || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return new Response(Buffer.from(await res.body.arrayBuffer()), { status: res.statusCode, headers: out });
});
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening ${port}`));
