/**
 * A quote on a topic: from the host cache when it holds one, else from the upstream (which then
 * goes into the cache). Only successes are cached, so a failing upstream is asked again next time.
 *
 * @module
 */

import type { PluginContext } from "@corral/sdk";
import type { QuotesConfig } from "./config.ts";
import { fetchQuote, type Quote, type Sleep, type UpstreamFailure } from "./upstream.ts";

/** A quote as the routes answer it. */
export interface QuoteAnswer {
  readonly topic: string;
  readonly quote: Quote;
  /** When the upstream gave it (ISO 8601). */
  readonly fetchedAt: string;
  /** "cache" when the upstream was not asked. */
  readonly source: "cache" | "upstream";
}

/** A topic: letters, digits and hyphens, so it is a safe cache key and URL segment. */
export const TOPIC = /^[A-Za-z0-9-]{1,40}$/;

type Cached = { readonly quote: Quote; readonly fetchedAt: string };

/** The quote on `topic`, or why there is none. */
export async function quoteOn(
  ctx: PluginContext,
  config: QuotesConfig,
  topic: string,
  sleep?: Sleep,
): Promise<QuoteAnswer | UpstreamFailure> {
  const key = `quote:${topic.toLowerCase()}`;
  if (config.cacheSeconds > 0) {
    const cached = await ctx.cache.get<Cached>(key);
    if (cached !== undefined) return { topic, ...cached, source: "cache" };
  }
  const result = await fetchQuote(config, topic, sleep);
  if ("code" in result) {
    ctx.log.warn(`quote on ${JSON.stringify(topic)} failed: ${result.code}`, { status: result.status, attempts: result.attempts });
    return result;
  }
  if (result.attempts > 1) ctx.log.info(`quote on ${JSON.stringify(topic)} took ${result.attempts} attempts`);
  const entry: Cached = { quote: result.quote, fetchedAt: new Date().toISOString() };
  if (config.cacheSeconds > 0) await ctx.cache.set(key, entry, { ttlSeconds: config.cacheSeconds });
  return { topic, ...entry, source: "upstream" };
}
