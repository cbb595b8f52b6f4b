/**
 * The quotes plugin: a quote on a topic from an outside HTTP API. It shows what an API
 * integration needs: a narrow network grant (exactly the upstream's host:port), a timeout on each
 * attempt, retries with exponential backoff on 5xx answers and timeouts only, the host cache
 * (`ctx.cache`) in front of the upstream, and the result as an HTML page and as JSON.
 *
 * Routes (under /plugins/quotes): `GET /?topic=<topic>` the page; `GET /api/<topic>` answers
 * `{ topic, quote: { text, author }, fetchedAt, source }`, or `{ error: { code, message } }`
 * with 400 (bad topic), 404 (no quote on it), 502 (upstream down or broken) or 504 (too slow).
 *
 * @module
 */

import { definePlugin, type PluginEnv, render } from "@corral/sdk";
import { Hono } from "hono";
import { type QuotesConfig, readConfig } from "./config.ts";
import { quoteOn, TOPIC } from "./quotes.ts";

let config: QuotesConfig | undefined;

const DEFAULT_TOPIC = "wisdom";

const app = new Hono<PluginEnv>();

app.get("/", async (c) => {
  const topic = c.req.query("topic") ?? DEFAULT_TOPIC;
  if (!TOPIC.test(topic)) {
    return render(c, "index", { title: "Quotes", topic, error: badTopic(topic) }, 400);
  }
  const answer = await quoteOn(c.env, config!, topic);
  if ("code" in answer) return render(c, "index", { title: "Quotes", topic, error: answer.message }, answer.status);
  return render(c, "index", { title: "Quotes", ...answer });
});

app.get("/api/:topic", async (c) => {
  const topic = c.req.param("topic");
  if (!TOPIC.test(topic)) return c.json({ error: { code: "BAD_TOPIC", message: badTopic(topic) } }, 400);
  const answer = await quoteOn(c.env, config!, topic);
  if ("code" in answer) return c.json({ error: { code: answer.code, message: answer.message } }, answer.status);
  return c.json(answer);
});

function badTopic(topic: string): string {
  return `The topic ${JSON.stringify(topic.slice(0, 60))} is not valid: use 1 to 40 letters, digits or hyphens, like "wisdom".`;
}

export default definePlugin({
  app,
  init(ctx) {
    config = readConfig(ctx.config);
    ctx.log.info("quotes plugin ready", { ...config });
  },
});
