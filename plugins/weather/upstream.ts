/**
 * Calls the upstream weather API and turns each way it can fail into an answer for the client.
 *
 * The upstream contract (what a fake upstream in tests must do):
 * `GET <upstreamUrl>/forecast?city=<name>` answers 200 with
 * `{ "city": string, "temperatureC": number, "conditions": string }`, or 404 for an unknown city.
 *
 * @module
 */

import type { WeatherConfig } from "./config.ts";

/** The weather in one city. */
export interface Forecast {
  readonly city: string;
  readonly temperatureC: number;
  readonly conditions: string;
}

/** Why there is no forecast: an HTTP status for the client and a JSON error body. */
export interface UpstreamFailure {
  readonly status: 404 | 502 | 504;
  readonly code:
    | "CITY_NOT_FOUND"
    | "UPSTREAM_UNAVAILABLE"
    | "UPSTREAM_TIMEOUT"
    | "UPSTREAM_FAILED"
    | "UPSTREAM_INVALID";
  readonly message: string;
}

/** Fetches the forecast for `city`; every failure is returned, never thrown. */
export async function fetchForecast(config: WeatherConfig, city: string): Promise<Forecast | UpstreamFailure> {
  const url = `${config.upstreamUrl}/forecast?city=${encodeURIComponent(city)}`;
  let body: unknown;
  try {
    // One signal for the whole exchange: a server that sends headers and then stalls times out too.
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return {
        status: 404,
        code: "CITY_NOT_FOUND",
        message: `The weather service knows no city named ${JSON.stringify(city)}.`,
      };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return {
        status: 502,
        code: "UPSTREAM_FAILED",
        message: `The weather service at ${config.upstreamUrl} answered ${response.status}; try again later.`,
      };
    }
    body = await response.json();
  } catch (error) {
    return failure(config, error);
  }
  if (!isForecast(body)) {
    return {
      status: 502,
      code: "UPSTREAM_INVALID",
      message: `The weather service at ${config.upstreamUrl} answered something that is not a forecast.`,
    };
  }
  return { city: body.city, temperatureC: body.temperatureC, conditions: body.conditions };
}

function failure(config: WeatherConfig, error: unknown): UpstreamFailure {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return {
      status: 504,
      code: "UPSTREAM_TIMEOUT",
      message:
        `The weather service at ${config.upstreamUrl} did not answer within ${config.timeoutMs} ms; try again later.`,
    };
  }
  if (error instanceof SyntaxError) {
    return {
      status: 502,
      code: "UPSTREAM_INVALID",
      message: `The weather service at ${config.upstreamUrl} answered invalid JSON.`,
    };
  }
  // A refused connection, a DNS failure, or a host outside the plugin's net grant (NotCapable).
  const denied = error instanceof Deno.errors.NotCapable;
  return {
    status: 502,
    code: "UPSTREAM_UNAVAILABLE",
    message: denied
      ? `This plugin may not connect to ${config.upstreamUrl}: add its host:port to permissions.net in plugin.json.`
      : `The weather service at ${config.upstreamUrl} cannot be reached; try again later.`,
  };
}

function isForecast(value: unknown): value is Forecast {
  const v = value as Record<string, unknown> | null;
  return typeof v === "object" && v !== null && typeof v.city === "string" &&
    typeof v.temperatureC === "number" && typeof v.conditions === "string";
}
