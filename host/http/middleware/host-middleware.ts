/**
 * The host's HTTP middleware, wired once per host: it begins an Exchange for every request
 * (request id, access log, CSRF token) and puts the host's headers on the answers Hono returns.
 * Answers written straight to Node's response (the forwarding path, errors) get the same headers
 * from plugin-response.ts and Exchange.hostHeaders; Hono middleware on `c.res` would miss them.
 */
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Logger } from "../../logger.ts";
import { errorAnswer } from "../error-response.ts";
import { requestTargetProblem } from "../request-target.ts";
import { AccessLog } from "./access-log.ts";
import { TrustedProxies } from "./client-address.ts";
import { Exchange } from "./exchange.ts";
import type { MiddlewareParts } from "./exchange.ts";
import type { ExchangeObserver } from "./exchange.ts";
import type { HttpPolicy } from "./http-policy.ts";
import { REQUEST_ID_HEADER } from "./request-id.ts";
import { ResponseCache } from "./response-cache.ts";
import { SecureHeaders } from "./secure-headers.ts";

/** What the host's routes find in `c.env`: Node's objects and the request's Exchange. */
export type HostBindings = HttpBindings & { exchange: Exchange };

type Fetch<E> = (request: Request, env: E) => Response | Promise<Response>;

// RESPONSE_ALREADY_SENT carries this header; Hono keeps it when it copies a response.
const ALREADY_SENT_HEADER = "x-hono-already-sent";

export interface HostMiddlewareOptions {
  readonly policy: HttpPolicy;
  readonly log: Logger;
  /** The response cache (host.ts drops a plugin's entries when it restarts); made from the policy when missing. */
  readonly cache?: ResponseCache;
  /** Told when each request begins and ends (host/metrics/); none when missing. */
  readonly observer?: ExchangeObserver;
}

export class HostMiddleware implements MiddlewareParts {
  readonly policy: HttpPolicy;
  readonly secureHeaders: SecureHeaders;
  readonly cache: ResponseCache;
  readonly accessLog: AccessLog;
  readonly trustedProxies: TrustedProxies;
  readonly observer?: ExchangeObserver;

  constructor(options: HostMiddlewareOptions) {
    this.policy = options.policy;
    this.secureHeaders = new SecureHeaders(options.policy.secureHeaders);
    this.cache = options.cache ?? new ResponseCache(options.policy.responseCache);
    this.accessLog = new AccessLog(options.log);
    this.trustedProxies = new TrustedProxies(options.policy.trustedProxies);
    if (options.observer !== undefined) this.observer = options.observer;
  }

  /**
   * The fetch callback for @hono/node-server: begins the request's Exchange, hands it to the
   * app as `c.env.exchange`, and adds the request id and the secure headers to a Response the
   * app returns (unless the route already wrote its answer to Node's response itself).
   */
  wrap(fetch: Fetch<HostBindings>): Fetch<HttpBindings | Http2Bindings> {
    return (request, env) => {
      // The host serves HTTP/1.1 only (createAdaptorServer without createServer).
      const bindings = env as HostBindings;
      const exchange = new Exchange(bindings.incoming, bindings.outgoing, this);
      bindings.exchange = exchange;
      // Framing Node's parser lets through but the host must not route (host/http/request-target.ts).
      const refusal = requestTargetProblem(bindings.incoming);
      if (refusal !== undefined) {
        const answer = errorAnswer(refusal);
        exchange.errorCode = refusal.code;
        return this.#withHostHeaders(new Response(answer.body, { status: answer.status, headers: answer.headers }), exchange);
      }
      const response = fetch(request, bindings);
      return response instanceof Promise
        ? response.then((answer) => this.#withHostHeaders(answer, exchange))
        : this.#withHostHeaders(response, exchange);
    };
  }

  #withHostHeaders(response: Response, exchange: Exchange): Response {
    if (response === RESPONSE_ALREADY_SENT) return response;
    // Hono answers HEAD with a copy of the GET answer; for a route that wrote its answer itself,
    // @hono/node-server would then write the copy again (ERR_HTTP_HEADERS_SENT, socket destroyed).
    if (response.headers.has(ALREADY_SENT_HEADER)) return RESPONSE_ALREADY_SENT;
    let answer = response;
    try {
      answer.headers.set(REQUEST_ID_HEADER, exchange.requestId);
    } catch {
      // Immutable headers (Response.redirect(), a fetch() answer): a copy takes them.
      answer = new Response(response.body, response);
      answer.headers.set(REQUEST_ID_HEADER, exchange.requestId);
    }
    this.secureHeaders.applyTo(answer.headers);
    return answer;
  }
}
