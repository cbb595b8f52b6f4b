/**
 * One request as the host's middleware sees it, from arrival to the last byte: its id, its CSRF
 * token, the plugin that answers it, what the cache did, and the access record written when the
 * response ends. Created for every request by HostMiddleware; the forwarding path and the host's
 * own routes read it from `c.env.exchange`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { RequestContext } from "../../../schemas/request-context.ts";
import { pathOf } from "./access-log.ts";
import { clientAddressOf, type TrustedProxies } from "./client-address.ts";
import { requestIsSecure } from "./request-scheme.ts";
import type { AccessLog, AccessRecord } from "./access-log.ts";
import { isCacheableRequest } from "./cache-rules.ts";
import { crossSiteReason, csrfRefusal, csrfTokenFromCookies, csrfTokenFromForm, csrfTokenFromHeader, needsCsrfCheck, newCsrfToken, tokensMatch } from "./csrf.ts";
import type { HttpPolicy } from "./http-policy.ts";
import { REQUEST_ID_HEADER, requestIdFor } from "./request-id.ts";
import type { CacheEntry, ResponseCache } from "./response-cache.ts";
import type { ExchangeTrace } from "./exchange-trace.ts";
import type { SecureHeaders } from "./secure-headers.ts";

/** The host-wide parts an exchange uses, made once (HostMiddleware). */
export interface MiddlewareParts {
  readonly policy: HttpPolicy;
  readonly secureHeaders: SecureHeaders;
  readonly cache: ResponseCache;
  readonly accessLog: AccessLog;
  /** The proxies whose X-Forwarded-For names the client (policy `http.trustedProxies`). */
  readonly trustedProxies: TrustedProxies;
  /** Told when each request begins and ends (metrics, traces); none when missing. */
  readonly observer?: ExchangeObserver;
}

/**
 * The one hook at each end of a request, for whatever watches all of them (metrics, traces):
 * told when an Exchange begins and when its response is done, with the same record the access
 * log writes. Counting happens here because every request passes through it exactly once,
 * whoever answers.
 */
export interface ExchangeObserver {
  /** The request has arrived (its headers are parsed); nothing is routed yet. */
  started(exchange: Exchange): void;
  /** Its response is done, or the client left first (`record.aborted`). Must not throw. */
  finished(exchange: Exchange, record: AccessRecord): void;
}

const NO_LOCALS: Readonly<Record<string, unknown>> = Object.freeze({});

export class Exchange {
  readonly requestId: string;
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  readonly parts: MiddlewareParts;
  /** The plugin that answers, once the forwarding path has found it. */
  plugin: string | undefined = undefined;
  /** Request body bytes, once read (else the declared Content-Length). */
  bytesIn = -1;
  /** What the response cache did, when it was asked. */
  cache: "hit" | "miss" | undefined = undefined;
  /** True when this response should give the browser a new `corral_csrf` cookie (see csrfToken). */
  csrfCookieDue = false;
  /** The CORRAL_E_... code of the error the host answered with, if it answered with one. */
  errorCode: string | undefined = undefined;
  /** This request's trace, when the host exports traces (set by the observer when it begins). */
  trace: ExchangeTrace | undefined = undefined;
  readonly #startedAt: number;
  readonly #socket: Socket;
  readonly #bytesWrittenAtStart: number;
  #csrfToken: string | undefined = undefined;
  #context: RequestContext | undefined = undefined;
  #clientAddress: string | undefined = undefined;
  #secure: boolean | undefined = undefined;

  constructor(incoming: IncomingMessage, outgoing: ServerResponse, parts: MiddlewareParts) {
    this.#startedAt = performance.now();
    this.incoming = incoming;
    this.outgoing = outgoing;
    this.parts = parts;
    this.requestId = requestIdFor(incoming.headers[REQUEST_ID_HEADER]);
    this.#socket = incoming.socket;
    this.#bytesWrittenAtStart = this.#socket.bytesWritten;
    // "close" comes once per response, when it ends or the connection does; on() skips once()'s wrapper.
    if (parts.policy.accessLog || parts.observer !== undefined) outgoing.on("close", () => this.#finish());
    parts.observer?.started(this);
  }

  /**
   * The browser's CSRF token: its `corral_csrf` cookie, or a new one that the response then sets
   * (only on HTML responses, the pages that may hold a form). "" when the check is off.
   */
  get csrfToken(): string {
    if (this.#csrfToken === undefined) {
      if (!this.parts.policy.csrf.enabled) {
        this.#csrfToken = "";
      } else {
        const fromCookie = csrfTokenFromCookies(this.incoming.headers.cookie);
        this.#csrfToken = fromCookie ?? newCsrfToken();
        this.csrfCookieDue = fromCookie === undefined;
      }
    }
    return this.#csrfToken;
  }

  /**
   * Who sent the request: the socket's peer, or what a trusted proxy's X-Forwarded-For says
   * (client-address.ts). The plugin sees it as `c.env.request.clientAddress`; "" when unknown.
   */
  get clientAddress(): string {
    if (this.#clientAddress === undefined) {
      const peer = this.#socket.remoteAddress ?? "";
      const proxies = this.parts.trustedProxies;
      const header = proxies.empty ? undefined : this.incoming.headers["x-forwarded-for"];
      this.#clientAddress = clientAddressOf(peer, Array.isArray(header) ? header.join(",") : header, proxies);
    }
    return this.#clientAddress;
  }

  /**
   * Whether the client reached us over TLS: a TLS socket, or a trusted proxy's
   * `X-Forwarded-Proto: https` (request-scheme.ts). The plugin sees it as `c.env.request.secure`
   * and as the scheme of its request URL.
   */
  get secure(): boolean {
    if (this.#secure === undefined) {
      const encrypted = (this.#socket as { encrypted?: boolean }).encrypted === true;
      const proxies = this.parts.trustedProxies;
      if (proxies.empty) {
        this.#secure = encrypted;
      } else {
        const { headers } = this.incoming;
        const joined = (value: string | string[] | undefined) => Array.isArray(value) ? value.join(",") : value;
        this.#secure = requestIsSecure(this.#socket.remoteAddress ?? "", encrypted, joined(headers["x-forwarded-for"]), joined(headers["x-forwarded-proto"]), proxies);
      }
    }
    return this.#secure;
  }

  /** What the global hooks are given besides the headers: the context's ids and who sent the request. */
  get hookIds(): { requestId: string; csrfToken: string; clientAddress: string; secure?: true } {
    const { requestId, csrfToken } = this.context;
    return this.secure ? { requestId, csrfToken, clientAddress: this.clientAddress, secure: true } : { requestId, csrfToken, clientAddress: this.clientAddress };
  }

  /** What the plugin is told about this request (the `corral-context` header). */
  get context(): RequestContext {
    // `secure` only when true: the JSON stays as it was for plain HTTP.
    return this.#context ??= this.secure
      ? { requestId: this.requestId, csrfToken: this.csrfToken, locals: NO_LOCALS, secure: true }
      : { requestId: this.requestId, csrfToken: this.csrfToken, locals: NO_LOCALS };
  }

  /** A fresh cached answer for this request from `plugin`, or undefined (then the cache may store the plugin's). */
  cachedResponse(plugin: string): CacheEntry | undefined {
    const { cache } = this.parts;
    if (!cache.enabled || !isCacheableRequest(this.incoming.method, this.incoming.headers)) return undefined;
    const entry = cache.lookup(plugin, this.incoming.url ?? "/", this.incoming.headers);
    this.cache = entry === undefined ? "miss" : "hit";
    return entry;
  }

  /**
   * The CSRF check on what arrives before the body. Throws CSRF when the request is refused;
   * returns true when the token must come from the form body (then call checkCsrfForm).
   */
  checkCsrfBeforeBody(): boolean {
    const { incoming } = this;
    if (!this.parts.policy.csrf.enabled || !needsCsrfCheck(incoming.method, incoming.headers)) return false;
    const crossSite = crossSiteReason(incoming.headers, this.parts.policy.csrf.trustedOrigins);
    if (crossSite !== undefined) throw this.#refusal(crossSite);
    const expected = csrfTokenFromCookies(incoming.headers.cookie);
    if (expected === undefined) throw this.#refusal(`it carries no valid "corral_csrf" cookie (load a page of this site first)`);
    const header = csrfTokenFromHeader(incoming.headers);
    if (header === undefined) return true;
    if (!tokensMatch(expected, header)) throw this.#refusal(`its "x-csrf-token" header does not match the "corral_csrf" cookie`);
    return false;
  }

  /** The second half of the CSRF check: the `_csrf` field of a form body. */
  async checkCsrfForm(body: Uint8Array): Promise<void> {
    const expected = csrfTokenFromCookies(this.incoming.headers.cookie)!;
    const given = await csrfTokenFromForm(this.incoming.headers["content-type"], body);
    if (given === undefined) throw this.#refusal(`it sent no "x-csrf-token" header and no "_csrf" form field`);
    if (!tokensMatch(expected, given)) throw this.#refusal(`its "_csrf" form field does not match the "corral_csrf" cookie`);
  }

  /** Headers of an answer the host writes itself (an error): request id and secure headers added. */
  hostHeaders(headers: Record<string, string>): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = { ...headers, [REQUEST_ID_HEADER]: this.requestId };
    this.parts.secureHeaders.applyTo({ has: (name) => name in out, set: (name, value) => (out[name] = value) });
    return out;
  }

  #refusal(reason: string) {
    return csrfRefusal(this.incoming.method ?? "", pathOf(this.incoming.url), reason);
  }

  #finish(): void {
    const record = this.#accessRecord();
    if (this.parts.policy.accessLog) this.parts.accessLog.write(this.plugin, record);
    this.parts.observer?.finished(this, record);
  }

  #accessRecord(): AccessRecord {
    const { incoming, outgoing } = this;
    const declared = Number(incoming.headers["content-length"] ?? 0);
    return {
      method: incoming.method ?? "",
      path: pathOf(incoming.url),
      status: outgoing.headersSent ? outgoing.statusCode : 0,
      durationMs: Math.round((performance.now() - this.#startedAt) * 1000) / 1000,
      bytesIn: this.bytesIn >= 0 ? this.bytesIn : Number.isFinite(declared) ? declared : 0,
      bytesOut: this.#socket.bytesWritten - this.#bytesWrittenAtStart,
      requestId: this.requestId,
      remoteAddress: this.clientAddress,
      ...(this.cache === undefined ? {} : { cache: this.cache }),
      ...(outgoing.writableFinished ? {} : { aborted: true as const }),
    };
  }
}
