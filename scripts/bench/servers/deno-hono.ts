/** Target (b): the bench app in Deno.serve. Usage: deno run --config deno.json --allow-net servers/deno-hono.ts <port> */
import { benchApp } from "../app.ts";

const port = Number(Deno.args[0] ?? 19002);
Deno.serve({ port, hostname: "127.0.0.1", onListen: () => console.log(`listening ${port}`) }, benchApp().fetch);
