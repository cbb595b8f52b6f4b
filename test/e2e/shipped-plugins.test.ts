// End to end: the plugins that ship in ./plugins work through a real host, including weather's
// narrow net grant against a local fake upstream on its granted port.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";

const shipped = suite<{ t: TestHost; upstream: Server; upstreamHits: string[]; copy: string }>("shipped plugins");

/**
 * The shipped weather plugin, its grant and upstream moved to `port`: its manifest names port
 * 47300, which another program on the machine may hold. Everything else is the shipped plugin.
 */
function weatherOnPort(port: number): Promise<string> {
  return copyPluginWith(join(SHIPPED, "weather"), (manifest) => {
    manifest.permissions.net = [`127.0.0.1:${port}`];
    manifest.config.upstreamUrl = `http://127.0.0.1:${port}`;
  });
}

shipped.before(async (ctx) => {
  ctx.upstreamHits = [];
  ctx.upstream = createServer((req, res) => {
    ctx.upstreamHits.push(req.url ?? "");
    const city = new URL(req.url ?? "/", "http://x").searchParams.get("city");
    if (city === "Lisbon") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ city: "Lisbon", temperatureC: 21.5, conditions: "sunny" }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve, reject) => {
    ctx.upstream.once("error", reject);
    ctx.upstream.listen(0, "127.0.0.1", () => resolve());
  });
  const weather = await weatherOnPort((ctx.upstream.address() as AddressInfo).port);
  ctx.copy = dirname(weather);
  ctx.t = await startTestHost({ plugins: [join(SHIPPED, "hello"), weather] });
});
shipped.after(async (ctx) => {
  await ctx.t.close();
  ctx.upstream.close();
  await rm(ctx.copy, { recursive: true, force: true });
});

shipped("hello answers from a Deno process", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/hello/`);
  assert.is(res.status, 200);
  assert.match(await res.text(), /Hello/);
});

shipped("weather reaches its granted upstream and shapes the answer", async ({ t, upstreamHits }) => {
  const res = await fetch(`${t.url}/plugins/weather/Lisbon`);
  assert.is(res.status, 200, await res.clone().text());
  const body = await res.json() as { city: string; temperatureC: number; conditions: string };
  assert.is(body.city, "Lisbon");
  assert.is(body.temperatureC, 21.5);
  assert.is(body.conditions, "sunny");
  assert.ok(upstreamHits.some((url) => url.includes("city=Lisbon")), "the upstream was called");
});

shipped("weather says 404 for an unknown city", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/weather/Atlantis`);
  assert.is(res.status, 404);
});

shipped.run();
