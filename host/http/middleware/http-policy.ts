/**
 * The `http` section of the host policy: how the host's own middleware treats every request
 * (access log, secure headers, CSRF, compression, the response cache), with its defaults and the
 * JSON Schema the policy file is checked against.
 */
import { EXPECTED_KEYWORD } from "../../manifest/format-errors.ts";

/** The CSRF check on unsafe browser requests (see csrf.ts). */
export interface CsrfPolicy {
  /** Off: no cookie, no check, and the context's `csrfToken` is "". */
  readonly enabled: boolean;
  /** Origins (`"https://app.example.com"`) accepted besides the request's own Host. */
  readonly trustedOrigins: readonly string[];
  /** Adds `Secure` to the `corral_csrf` cookie: set it when clients reach the host over HTTPS. */
  readonly secureCookie: boolean;
}

/** Response compression of plugin responses (see compression.ts). */
export interface CompressionPolicy {
  readonly enabled: boolean;
  /** Bodies smaller than this are sent as they are. */
  readonly minBytes: number;
}

/** The host-side cache of plugin GET responses (see response-cache.ts). */
export interface ResponseCachePolicy {
  /** Memory for all entries together, bodies and headers; 0 turns the cache off. */
  readonly maxBytes: number;
  /** A response larger than this is never stored. */
  readonly maxEntryBytes: number;
}

/** What the host's HTTP middleware does; every field has a default. */
export interface HttpPolicy {
  /** One `request` record per request in the log. */
  readonly accessLog: boolean;
  /**
   * Headers added to every response that does not set them itself, by lower-case name. The
   * policy file's entries replace the defaults by name; `false` removes one.
   */
  readonly secureHeaders: Readonly<Record<string, string>>;
  readonly csrf: CsrfPolicy;
  readonly compression: CompressionPolicy;
  readonly responseCache: ResponseCachePolicy;
  /**
   * Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` the host believes (IP addresses and
   * CIDR ranges). Empty by default: the client's address is the socket's peer, its scheme the
   * socket's, and the headers are ignored (see client-address.ts, request-scheme.ts).
   */
  readonly trustedProxies: readonly string[];
}

const MiB = 1024 * 1024;

/**
 * The default secure headers: Hono's `secureHeaders` set, minus the ones only old browsers read
 * (X-XSS-Protection, X-Download-Options, X-Permitted-Cross-Domain-Policies, X-DNS-Prefetch-Control),
 * plus a Content-Security-Policy for server-rendered pages. No Strict-Transport-Security: the
 * host does not know whether clients reach it over HTTPS; an operator adds it in the policy.
 */
export const DEFAULT_SECURE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'; " +
    "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  // Not Hono's "no-referrer": with it, browsers send "Origin: null" on same-origin form posts.
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
});

/** The `http` section when the policy file has none. */
export function defaultHttpPolicy(): HttpPolicy {
  return {
    accessLog: true,
    secureHeaders: DEFAULT_SECURE_HEADERS,
    csrf: { enabled: true, trustedOrigins: [], secureCookie: false },
    compression: { enabled: true, minBytes: 1024 },
    responseCache: { maxBytes: 64 * MiB, maxEntryBytes: 1 * MiB },
    trustedProxies: [],
  };
}

/** The `http` section as a policy file writes it: every field optional. */
export interface HttpPolicyFile {
  accessLog?: boolean;
  secureHeaders?: Record<string, string | false>;
  csrf?: Partial<CsrfPolicy>;
  compression?: Partial<CompressionPolicy>;
  responseCache?: Partial<ResponseCachePolicy>;
  trustedProxies?: string[];
}

/** The defaults with a policy file's `http` section laid over them. */
export function resolveHttpPolicy(given: HttpPolicyFile | undefined): HttpPolicy {
  const base = defaultHttpPolicy();
  if (given === undefined) return base;
  const secureHeaders: Record<string, string> = { ...base.secureHeaders };
  for (const [name, value] of Object.entries(given.secureHeaders ?? {})) {
    if (value === false) delete secureHeaders[name.toLowerCase()];
    else secureHeaders[name.toLowerCase()] = value;
  }
  return {
    accessLog: given.accessLog ?? base.accessLog,
    secureHeaders,
    csrf: { ...base.csrf, ...given.csrf },
    compression: { ...base.compression, ...given.compression },
    responseCache: { ...base.responseCache, ...given.responseCache },
    trustedProxies: given.trustedProxies ?? base.trustedProxies,
  };
}

const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
// Any visible ASCII and spaces: what Node accepts in a header value, minus control characters.
const HEADER_VALUE = "^[\\x20-\\x7E]*$";

function bytes(min: number, max: number, description: string): Record<string, unknown> {
  return { description, type: "integer", minimum: min, maximum: max, [EXPECTED_KEYWORD]: `an integer from ${min} to ${max} (bytes)` };
}

/** The JSON Schema of the policy file's `http` section (host/policy.ts embeds it). */
export const HTTP_POLICY_SCHEMA = {
  description: "What the host's HTTP middleware does. See docs/http.md.",
  type: "object", additionalProperties: false,
  [EXPECTED_KEYWORD]: "an object {\"accessLog\"?, \"secureHeaders\"?, \"csrf\"?, \"compression\"?, \"responseCache\"?, \"trustedProxies\"?}",
  properties: {
    accessLog: { description: "One log record per request.", type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
    secureHeaders: {
      description: "Response headers added when a response does not set them; a value replaces the default, false removes it.",
      type: "object", [EXPECTED_KEYWORD]: "an object of header names to a value or false",
      propertyNames: { type: "string", pattern: HEADER_NAME, [EXPECTED_KEYWORD]: "a header name like \"permissions-policy\"" },
      additionalProperties: {
        anyOf: [{ type: "string", pattern: HEADER_VALUE }, { const: false }],
        [EXPECTED_KEYWORD]: "a header value (printable ASCII) or false",
      },
    },
    csrf: {
      description: "The CSRF check on unsafe requests that carry cookies.",
      type: "object", additionalProperties: false,
      [EXPECTED_KEYWORD]: "an object {\"enabled\"?, \"trustedOrigins\"?, \"secureCookie\"?}",
      properties: {
        enabled: { description: "Off: no cookie, no check.", type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
        trustedOrigins: {
          description: "Origins accepted besides the request's own Host (e.g. behind a proxy that rewrites Host).",
          type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of origins like \"https://app.example.com\"",
          items: { type: "string", pattern: "^https?://[^/?#\\s]+$", [EXPECTED_KEYWORD]: "an origin like \"https://app.example.com\" (scheme and host, no path)" },
        },
        secureCookie: { description: "Mark the corral_csrf cookie Secure (HTTPS only).", type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
      },
    },
    compression: {
      description: "gzip/brotli compression of plugin responses.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"enabled\"?, \"minBytes\"?}",
      properties: {
        enabled: { description: "Compress compressible plugin responses.", type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
        minBytes: bytes(0, 1_073_741_824, "Smaller bodies are not compressed."),
      },
    },
    responseCache: {
      description: "The host's memory cache of public plugin GET responses.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"maxBytes\"?, \"maxEntryBytes\"?}",
      properties: {
        maxBytes: bytes(0, 17_179_869_184, "Memory for all entries; 0 turns the cache off."),
        maxEntryBytes: bytes(0, 1_073_741_824, "The largest response stored."),
      },
    },
    trustedProxies: {
      description: "Proxies whose X-Forwarded-For and X-Forwarded-Proto headers give the client's address and scheme (c.env.request.clientAddress, c.env.request.secure); none by default.",
      type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of IP addresses or CIDR ranges like \"10.0.0.0/8\"",
      items: {
        type: "string",
        format: "address-range",
        [EXPECTED_KEYWORD]: "an IP address (\"10.0.0.1\", \"::1\") or a CIDR range (\"10.0.0.0/8\", \"fd00::/8\")",
      },
    },
  },
} as const;
