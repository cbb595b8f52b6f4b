/**
 * The weather plugin's configuration, read once from `ctx.config` and checked.
 *
 * @module
 */

import type { JsonObject } from "@corral/sdk";

/** Where the upstream API is and how long to wait for it. */
export interface WeatherConfig {
  /** Base URL of the upstream API, without a trailing slash. */
  readonly upstreamUrl: string;
  /** How long one upstream call may take, body included. */
  readonly timeoutMs: number;
}

/** The defaults, matching plugin.json's `config` (and its `permissions.net` grant). */
export const DEFAULT_CONFIG: WeatherConfig = Object.freeze({ upstreamUrl: "http://127.0.0.1:47300", timeoutMs: 2000 });

/**
 * Reads the configuration, with defaults for what is missing. Throws a `TypeError` that names the
 * key and the bad value, which fails the plugin's start with that message.
 */
export function readConfig(config: JsonObject): WeatherConfig {
  const { upstreamUrl = DEFAULT_CONFIG.upstreamUrl, timeoutMs = DEFAULT_CONFIG.timeoutMs } = config;
  if (typeof upstreamUrl !== "string" || !/^https?:\/\/[^/]+/.test(upstreamUrl)) {
    throw new TypeError(
      `config.upstreamUrl must be an http(s) URL such as "http://127.0.0.1:47300", got ${JSON.stringify(upstreamUrl)}`,
    );
  }
  if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new TypeError(
      `config.timeoutMs must be an integer from 1 to 60000 (milliseconds), got ${JSON.stringify(timeoutMs)}`,
    );
  }
  return Object.freeze({ upstreamUrl: upstreamUrl.replace(/\/+$/, ""), timeoutMs });
}
