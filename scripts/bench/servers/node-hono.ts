/** Target (a): the bench app served directly by Hono on Node (@hono/node-server). Usage: node --import tsx servers/node-hono.ts <port> */
import { serve } from "@hono/node-server";
import { benchApp } from "../app.ts";

const port = Number(process.argv[2] ?? 19001);
serve({ fetch: benchApp().fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening ${port}`));
