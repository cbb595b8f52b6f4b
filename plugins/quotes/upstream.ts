/**
 * Calls the upstream quotes API, with a timeout per attempt and retries with exponential backoff
 * on the failures that may pass (a 5xx answer, a timeout); every failure is returned, never thrown.
 *
 * The upstream contract (what a fake upstream in tests must do): `GET <upstreamUrl>/random?topic=<topic>`
 * answers 200 with `{ "text": string, "author": string }`, or 404 when it has no quote on the topic.
 *
 * @module
 */

import type { QuotesConfig } from "./config.ts";

/** One quote. */
export interface Quote {
  readonly text: string;
  readonly author: string;
}

/** A quote and how many upstream attempts it took. */
export interface Fetched {
  readonly quote: Quote;
  readonly attempts: number;
}

/** Why there is no quote: an HTTP status for the client, a stable code and a sentence. */
export interface UpstreamFailure {
  readonly status: 404 | 502 | 504;
  readonly code: "TOPIC_NOT_FOUND" | "UPSTREAM_UNAVAILABLE" | "UPSTREAM_TIMEOUT" | "UPSTREAM_FAILED" | "UPSTREAM_INVALID";
  readonly message: string;
  readonly attempts: number;
}

/** How to wait between attempts; tests pass one that does not. */
export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The wait before retry number `retry` (1-based): backoffMs, 2x, 4x..., plus up to 25% jitter so clients spread out. */
export function backoffDelay(config: QuotesConfig, retry: number, random: () => number = Math.random): number {
  const base = config.backoffMs * 2 ** (retry - 1);
  return Math.round(base + base * 0.25 * random());
}

/** Fetches a quote on `topic`, retrying 5xx answers and timeouts up to `config.retries` times. */
export async function fetchQuote(config: QuotesConfig, topic: string, sleep: Sleep = realSleep): Promise<Fetched | UpstreamFailure> {
  let last: Omit<UpstreamFailure, "attempts"> | undefined;
  for (let attempt = 1; attempt <= config.retries + 1; attempt++) {
    if (attempt > 1) await sleep(backoffDelay(config, attempt - 1));
    const outcome = await attemptOnce(config, topic);
    if ("quote" in outcome) return { quote: outcome.quote, attempts: attempt };
    last = outcome.failure;
    if (!outcome.retryable) return { ...last, attempts: attempt };
  }
  return { ...last!, attempts: config.retries + 1 };
}

type Attempt =
  | { readonly quote: Quote }
  | { readonly failure: Omit<UpstreamFailure, "attempts">; readonly retryable: boolean };

async function attemptOnce(config: QuotesConfig, topic: string): Promise<Attempt> {
  const where = config.upstreamUrl;
  let body: unknown;
  try {
    // One signal for the whole exchange: a server that sends headers and then stalls times out too.
    const response = await fetch(`${where}/random?topic=${encodeURIComponent(topic)}`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return { retryable: false, failure: { status: 404, code: "TOPIC_NOT_FOUND", message: `The quotes service has no quote on ${JSON.stringify(topic)}.` } };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return {
        retryable: response.status >= 500,
        failure: { status: 502, code: "UPSTREAM_FAILED", message: `The quotes service at ${where} answered ${response.status}; try again later.` },
      };
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return {
        retryable: true,
        failure: { status: 504, code: "UPSTREAM_TIMEOUT", message: `The quotes service at ${where} did not answer within ${config.timeoutMs} ms; try again later.` },
      };
    }
    if (error instanceof SyntaxError) {
      return { retryable: false, failure: { status: 502, code: "UPSTREAM_INVALID", message: `The quotes service at ${where} answered invalid JSON.` } };
    }
    // A refused connection or DNS failure is not retried (it will not pass in milliseconds), nor is
    // a host outside the plugin's net grant (NotCapable), which never will.
    const denied = error instanceof Deno.errors.NotCapable;
    return {
      retryable: false,
      failure: {
        status: 502,
        code: "UPSTREAM_UNAVAILABLE",
        message: denied
          ? `This plugin may not connect to ${where}: add its host:port to permissions.net in plugin.json.`
          : `The quotes service at ${where} cannot be reached; try again later.`,
      },
    };
  }
  if (!isQuote(body)) {
    return { retryable: false, failure: { status: 502, code: "UPSTREAM_INVALID", message: `The quotes service at ${where} answered something that is not a quote.` } };
  }
  return { quote: { text: body.text, author: body.author } };
}

function isQuote(value: unknown): value is Quote {
  const v = value as Record<string, unknown> | null;
  return typeof v === "object" && v !== null && typeof v.text === "string" && typeof v.author === "string";
}
