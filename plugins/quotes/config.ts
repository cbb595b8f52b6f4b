/**
 * The quotes plugin's configuration, read once from `ctx.config` and checked: a bad value fails the
 * plugin's start with a message naming the key, the value and what was expected.
 *
 * @module
 */

import type { JsonObject } from "@corral/sdk";

/** Where the upstream is, and how patient the plugin is with it. */
export interface QuotesConfig {
  /** Base URL of the upstream API, without a trailing slash. Its host:port must be in `permissions.net`. */
  readonly upstreamUrl: string;
  /** How long one upstream attempt may take, body included. */
  readonly timeoutMs: number;
  /** Attempts after the first, made only after a 5xx answer or a timeout. */
  readonly retries: number;
  /** The wait before the first retry; each later retry waits twice as long (plus jitter). */
  readonly backoffMs: number;
  /** How long a quote stays in the host cache (`ctx.cache`); 0 turns caching off. */
  readonly cacheSeconds: number;
}

/** The defaults, matching plugin.json's `config`. */
export const DEFAULT_CONFIG: QuotesConfig = Object.freeze({
  upstreamUrl: "http://127.0.0.1:47310",
  timeoutMs: 1500,
  retries: 2,
  backoffMs: 100,
  cacheSeconds: 300,
});

/** Reads `config`, defaults for what is missing. @throws TypeError naming the bad key and value. */
export function readConfig(config: JsonObject): QuotesConfig {
  const merged = { ...DEFAULT_CONFIG, ...config } as Record<string, unknown>;
  const { upstreamUrl } = merged;
  if (typeof upstreamUrl !== "string" || !/^https?:\/\/[^/]+/.test(upstreamUrl)) {
    throw new TypeError(`config.upstreamUrl must be an http(s) URL such as "http://127.0.0.1:47310", got ${JSON.stringify(upstreamUrl)}`);
  }
  return Object.freeze({
    upstreamUrl: upstreamUrl.replace(/\/+$/, ""),
    timeoutMs: integer(merged, "timeoutMs", 1, 60_000, "milliseconds"),
    retries: integer(merged, "retries", 0, 5, "extra attempts"),
    backoffMs: integer(merged, "backoffMs", 0, 10_000, "milliseconds"),
    cacheSeconds: integer(merged, "cacheSeconds", 0, 86_400, "seconds"),
  });
}

function integer(config: Record<string, unknown>, key: string, min: number, max: number, unit: string): number {
  const value = config[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`config.${key} must be an integer from ${min} to ${max} (${unit}), got ${JSON.stringify(value)}`);
  }
  return value;
}
