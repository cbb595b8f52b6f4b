/**
 * The weather plugin: current weather for a city, fetched from an upstream HTTP JSON API. It shows
 * a plugin with a network grant (exactly the upstream's host:port), configuration, a timeout on
 * every upstream call, and clear JSON errors when the upstream fails.
 *
 * Routes (under /plugins/weather): `GET /` describes the API; `GET /:city` answers
 * `{ city, temperatureC, conditions }`, or `{ error: { code, message } }` with 404 (unknown
 * city), 502 (upstream down or broken) or 504 (upstream too slow).
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import { readConfig, type WeatherConfig } from "./config.ts";
import { fetchForecast } from "./upstream.ts";

let config: WeatherConfig | undefined;

const app = new Hono<PluginEnv>();

app.get("/", (c) => c.json({ usage: "GET /<city>, e.g. GET /Lisbon", upstream: config?.upstreamUrl }));

app.get("/:city", async (c) => {
  const city = c.req.param("city");
  const result = await fetchForecast(config!, city);
  if ("code" in result) {
    c.env.log.warn(`forecast for ${JSON.stringify(city)} failed: ${result.code}`, { status: result.status });
    return c.json({ error: { code: result.code, message: result.message } }, result.status);
  }
  return c.json(result);
});

export default definePlugin({
  app,
  init(ctx) {
    config = readConfig(ctx.config);
    ctx.log.info("weather plugin ready", { upstreamUrl: config.upstreamUrl, timeoutMs: config.timeoutMs });
  },
});
