/** The host policy: what any plugin may be granted at most, loaded from an operator's JSON file. */
import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { describeJsonSyntaxError, EXPECTED_KEYWORD, formatValidationErrors } from "./manifest/format-errors.ts";
import { parseAddressRange } from "./http/middleware/client-address.ts";
import { defaultHttpPolicy, HTTP_POLICY_SCHEMA, resolveHttpPolicy } from "./http/middleware/http-policy.ts";
import type { HttpPolicy, HttpPolicyFile } from "./http/middleware/http-policy.ts";
import { defaultScalingPolicy, SCALING_POLICY_SCHEMA } from "./instances/scaling-policy.ts";
import type { ScalingPolicy } from "./instances/scaling-policy.ts";

/** Ceilings and defaults for the resources of one plugin process. */
export interface PolicyLimits {
  /** The largest `limits.memoryMb` a manifest may ask for. */
  readonly maxMemoryMb: number;
  /** The largest `limits.timeoutMs` a manifest may ask for. */
  readonly maxTimeoutMs: number;
  /** The largest `limits.maxBodyBytes` a manifest may ask for. */
  readonly maxBodyBytes: number;
  /** The largest `limits.maxConcurrent` (requests at once, across instances) a manifest may ask for. */
  readonly maxConcurrent: number;
  /** The largest `limits.maxQueue` a manifest may ask for. */
  readonly maxQueue: number;
  /** The largest `limits.cpuPercent` a manifest may ask for (100 = one core). */
  readonly maxCpuPercent: number;
  /** The window CPU quotas are judged over, in milliseconds. */
  readonly cpuWindowMs: number;
  /** The largest `instances.max` a manifest may ask for. */
  readonly maxInstances: number;
}

/** The limits a plugin gets when its manifest says nothing. */
export interface PolicyDefaults {
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** 0: no CPU quota. */
  readonly cpuPercent: number;
  /** How long a lazy plugin may sit without requests before it is stopped. */
  readonly idleTimeoutMs: number;
}

/**
 * What the operator lets plugins have. A manifest asks; the policy decides.
 *
 * Net patterns are `"host:port"`, `"host:*"`, `"*:port"` or `"*"`; a grant must match an allow
 * pattern and no deny pattern (deny wins). Loopback names and addresses (`localhost`,
 * `127.0.0.0/8`, `0.0.0.0`, `[::1]`, `[::]`) all match each other, since they reach the same host.
 */
export interface HostPolicy {
  readonly net: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  /** Variable names never passed to plugins, whatever a manifest asks. */
  readonly env: { readonly deny: readonly string[] };
  readonly limits: PolicyLimits;
  readonly defaults: PolicyDefaults;
  /**
   * `"auto"`: run plugins in a bwrap namespace when bwrap is installed, else without one.
   * `"namespace"`: refuse to start a plugin without bwrap. `"none"`: never use a namespace.
   */
  readonly isolation: "auto" | "namespace" | "none";
  /** How long a plugin has to say it is ready, in milliseconds. */
  readonly startTimeoutMs: number;
  /** The host's HTTP middleware: access log, secure headers, CSRF, compression, response cache. */
  readonly http: HttpPolicy;
  /** Liveness pings of ready plugins (host/monitoring/). */
  readonly monitoring: MonitoringPolicy;
  /** Lazy loading forced by the host, and when extra instances start and stop (host/instances/). */
  readonly scaling: ScalingPolicy;
  /** Which plugins the host trusts to say who the user is (docs/security.md, "Route roles"). */
  readonly identity: IdentityPolicy;
  /** Which `.corral` packages may be installed (host/packages/); both refused when absent, allowed in dev mode. */
  readonly packages?: { readonly allowUnsigned: boolean; readonly allowUntrusted: boolean };
}

/**
 * The plugins whose `locals.identity` the host trusts for route roles. Empty by default: a
 * plugin's manifest asks (`providesIdentity`), the operator grants by listing it here.
 */
export interface IdentityPolicy {
  readonly providers: readonly string[];
}

/** How often the host pings each ready plugin, and how long a pong may take. */
export interface MonitoringPolicy {
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
}

const MiB = 1024 * 1024;

/**
 * The policy used when the operator gives none: any host and port except the cloud metadata
 * endpoints, the host's secrets hidden, 1 GiB / 60 s / 64 MiB ceilings.
 *
 * @example
 * ```ts
 * const policy = withRuntimeDenies(defaultPolicy(), ["127.0.0.1:8080"]);
 * ```
 */
export function defaultPolicy(): HostPolicy {
  return deepFreeze({
    net: { allow: ["*"], deny: ["169.254.169.254:*", "metadata.google.internal:*"] },
    env: {
      deny: ["DATABASE_URL", "PGPASSWORD", "PGUSER", "PGHOST", "CORRAL_SECRET", "CORRAL_ADMIN_TOKEN",
        "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"],
    },
    limits: {
      maxMemoryMb: 1024, maxTimeoutMs: 60_000, maxBodyBytes: 64 * MiB,
      maxConcurrent: 1000, maxQueue: 1000, maxCpuPercent: 400, cpuWindowMs: 10_000, maxInstances: 4,
    },
    defaults: {
      memoryMb: 128, timeoutMs: 10_000, maxBodyBytes: 1 * MiB,
      maxConcurrent: 100, maxQueue: 100, cpuPercent: 0, idleTimeoutMs: 300_000,
    },
    isolation: "auto",
    startTimeoutMs: 10_000,
    http: defaultHttpPolicy(),
    monitoring: { pingIntervalMs: 10_000, pingTimeoutMs: 2_000 },
    scaling: defaultScalingPolicy(),
    identity: { providers: [] },
    packages: { allowUnsigned: false, allowUntrusted: false },
  });
}

/**
 * Loads the operator's policy file. No file means {@linkcode defaultPolicy}. A field the file
 * leaves out takes its default; a field it gives replaces the default whole (a `net.deny` list
 * given here is the complete deny list, so keep the metadata entries if you still want them).
 *
 * @throws CorralError POLICY_INVALID naming the file, the field and what was expected.
 *
 * @example
 * ```ts
 * const policy = await loadPolicy(process.env.CORRAL_POLICY); // e.g. "corral.policy.json"
 * ```
 */
export async function loadPolicy(file?: string): Promise<HostPolicy> {
  if (file === undefined) return defaultPolicy();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CorralError(ErrorCode.POLICY_INVALID,
      `${file}: cannot read the policy file: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new CorralError(ErrorCode.POLICY_INVALID, `${file}: not valid JSON: ${describeJsonSyntaxError(text, error)}`);
  }
  if (!validatePolicyFile(data)) {
    const lines = formatValidationErrors(validatePolicyFile.errors ?? []);
    throw new CorralError(ErrorCode.POLICY_INVALID, lines.map((line) => `${file}: ${line}`).join("\n"));
  }
  const given = data as PolicyFile;
  const base = defaultPolicy();
  const policy: HostPolicy = {
    net: { ...base.net, ...given.net },
    env: { ...base.env, ...given.env },
    limits: { ...base.limits, ...given.limits },
    defaults: { ...base.defaults, ...given.defaults },
    isolation: given.isolation ?? base.isolation,
    startTimeoutMs: given.startTimeoutMs ?? base.startTimeoutMs,
    http: resolveHttpPolicy(given.http),
    monitoring: { ...base.monitoring, ...given.monitoring },
    scaling: { ...base.scaling, ...given.scaling },
    identity: { ...base.identity, ...given.identity },
    packages: { allowUnsigned: false, allowUntrusted: false, ...given.packages },
  };
  const inconsistent = checkDefaultsWithinCeilings(policy);
  if (inconsistent.length > 0) {
    throw new CorralError(ErrorCode.POLICY_INVALID, inconsistent.map((line) => `${file}: ${line}`).join("\n"));
  }
  return deepFreeze(policy);
}

/**
 * The policy with more deny patterns: the host adds its own listen address and the database's
 * at start, since those depend on how it was started.
 *
 * @throws TypeError when a pattern is malformed (a bug in the caller, not in a file).
 *
 * @example
 * ```ts
 * withRuntimeDenies(policy, ["127.0.0.1:8080", "127.0.0.1:5432"]);
 * ```
 */
export function withRuntimeDenies(policy: HostPolicy, patterns: readonly string[]): HostPolicy {
  for (const pattern of patterns) {
    if (parseNetPattern(pattern) === null) throw new TypeError(`not a net pattern: ${JSON.stringify(pattern)}`);
  }
  const deny = [...policy.net.deny];
  for (const pattern of patterns) if (!deny.includes(pattern)) deny.push(pattern);
  return deepFreeze({ ...policy, net: { allow: [...policy.net.allow], deny } });
}

/** A parsed `"host:port"` grant; `host` is canonical (lowercase, bracketed compressed IPv6). */
export interface NetAddress {
  readonly host: string;
  readonly port: number;
}

/** A parsed policy pattern; `"*"` stands for any host or any port. */
export interface NetPattern {
  readonly host: string | "*";
  readonly port: number | "*";
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// The last label must start with a letter: URL parsers read an all-numeric or 0x… last label as
// an IPv4 address ("2130706433" is 127.0.0.1), which would slip past name-based deny patterns.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const PORT = /^[1-9]\d{0,4}$/;

/**
 * Parses a grant like `"api.example.com:443"`, `"10.0.0.5:5432"` or `"[::1]:8080"`; null when it
 * is not one (no port, port out of 1-65535, a host that is neither a name nor an IP address).
 */
export function parseNetAddress(text: string): NetAddress | null {
  const split = splitHostPort(text);
  if (split === null || !PORT.test(split.port)) return null;
  const port = Number(split.port);
  const host = canonicalHost(split.host);
  return host === null || port > 65535 ? null : { host, port };
}

/** Parses a policy pattern (`"host:port"`, `"host:*"`, `"*:port"`, `"*"`); null when malformed. */
export function parseNetPattern(text: string): NetPattern | null {
  if (text === "*") return { host: "*", port: "*" };
  const split = splitHostPort(text);
  if (split === null) return null;
  let port: number | "*";
  if (split.port === "*") port = "*";
  else if (PORT.test(split.port) && Number(split.port) <= 65535) port = Number(split.port);
  else return null;
  if (split.host === "*") return { host: "*", port };
  const host = canonicalHost(split.host);
  return host === null ? null : { host, port };
}

/**
 * Why the policy refuses a net grant, or null when it allows it.
 *
 * @example
 * ```ts
 * netGrantRefusal(defaultPolicy(), "169.254.169.254:80"); // 'matches the deny pattern "169.254.169.254:*"'
 * ```
 */
export function netGrantRefusal(policy: HostPolicy, grant: string): string | null {
  const address = parseNetAddress(grant);
  if (address === null) return `is not "host:port" with a port from 1 to 65535`;
  const denied = policy.net.deny.find((pattern) => patternMatches(pattern, address));
  if (denied !== undefined) return `matches the host policy's deny pattern "${denied}"`;
  if (!policy.net.allow.some((pattern) => patternMatches(pattern, address))) {
    return `matches none of the host policy's allow patterns (${policy.net.allow.map((p) => `"${p}"`).join(", ") || "none"})`;
  }
  return null;
}

/** True when `host` (canonical, as in {@linkcode NetAddress}) names this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const key = matchKey(host);
  return key === "localhost" || key.endsWith(".localhost") || key.startsWith("127.") ||
    key === "0.0.0.0" || key === "[::1]" || key === "[::]";
}

function patternMatches(text: string, address: NetAddress): boolean {
  const pattern = parseNetPattern(text);
  if (pattern === null) return false;
  if (pattern.port !== "*" && pattern.port !== address.port) return false;
  if (pattern.host === "*") return true;
  return matchKey(pattern.host) === matchKey(address.host) ||
    (isLoopbackHost(pattern.host) && isLoopbackHost(address.host));
}

/** The form hosts are compared in: IPv4-mapped IPv6 (`[::ffff:a9fe:a9fe]`) as its IPv4 address. */
function matchKey(host: string): string {
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped === null) return host;
  const high = parseInt(mapped[1], 16), low = parseInt(mapped[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function splitHostPort(text: string): { host: string; port: string } | null {
  const bracketed = /^(\[[0-9A-Fa-f:.]+\]):([^:]+)$/.exec(text);
  if (bracketed !== null) return { host: bracketed[1], port: bracketed[2] };
  const plain = /^([^:[\]]+):([^:]+)$/.exec(text);
  return plain === null ? null : { host: plain[1], port: plain[2] };
}

/** Lowercase name, dotted IPv4, or WHATWG-canonical bracketed IPv6; null when none of those. */
function canonicalHost(host: string): string | null {
  if (host.startsWith("[")) {
    try {
      // The WHATWG parser validates IPv6 and compresses it the way Deno and fetch() will see it.
      return new URL(`http://${host}/`).hostname;
    } catch {
      return null;
    }
  }
  if (IPV4.test(host)) return host;
  return HOSTNAME.test(host) ? host.toLowerCase() : null;
}

function checkDefaultsWithinCeilings(policy: HostPolicy): string[] {
  const problems: string[] = [];
  const pairs = [
    ["memoryMb", "maxMemoryMb"], ["timeoutMs", "maxTimeoutMs"], ["maxBodyBytes", "maxBodyBytes"],
    ["maxConcurrent", "maxConcurrent"], ["maxQueue", "maxQueue"], ["cpuPercent", "maxCpuPercent"],
  ] as const;
  for (const [field, ceiling] of pairs) {
    if (policy.defaults[field] > policy.limits[ceiling]) {
      problems.push(`/defaults/${field}: expected at most /limits/${ceiling} (${policy.limits[ceiling]}), got ${policy.defaults[field]}`);
    }
  }
  return problems;
}

/** Freezes an object and everything in it, so a policy cannot be changed after it is checked. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The policy file as written: every field optional. */
interface PolicyFile {
  net?: { allow?: string[]; deny?: string[] };
  env?: { deny?: string[] };
  limits?: Partial<PolicyLimits>;
  defaults?: Partial<PolicyDefaults>;
  isolation?: HostPolicy["isolation"];
  startTimeoutMs?: number;
  http?: HttpPolicyFile;
  monitoring?: Partial<MonitoringPolicy>;
  scaling?: Partial<ScalingPolicy>;
  identity?: { providers?: string[] };
  packages?: { allowUnsigned?: boolean; allowUntrusted?: boolean };
}

function integer(min: number, max: number, unit: string, description: string): Record<string, unknown> {
  return { description, type: "integer", minimum: min, maximum: max, [EXPECTED_KEYWORD]: `an integer from ${min} to ${max} (${unit})` };
}

function patternList(description: string): Record<string, unknown> {
  return {
    description, type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of net patterns",
    items: {
      type: "string", format: "net-pattern",
      [EXPECTED_KEYWORD]: `a net pattern: "host:port", "host:*", "*:port" or "*" (IPv6 hosts in brackets, ports 1-65535)`,
    },
  };
}

const POLICY_FILE_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  description: "The Corral host policy file. Every field is optional and takes its default when left out.",
  type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "a JSON object",
  properties: {
    net: {
      description: "Which hosts and ports plugins may be granted.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"allow\"?, \"deny\"?}",
      properties: {
        allow: patternList("Patterns a net grant must match."),
        deny: patternList("Patterns no net grant may match; deny wins over allow."),
      },
    },
    env: {
      description: "Environment variables plugins may never read.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"deny\"?}",
      properties: {
        deny: {
          description: "Variable names never passed to a plugin.",
          type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of variable names",
          items: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", [EXPECTED_KEYWORD]: "an environment variable name like \"API_KEY\"" },
        },
      },
    },
    limits: {
      description: "The most any manifest may ask for.",
      type: "object", additionalProperties: false,
      [EXPECTED_KEYWORD]: "an object {\"maxMemoryMb\"?, \"maxTimeoutMs\"?, \"maxBodyBytes\"?, \"maxConcurrent\"?, \"maxQueue\"?, \"maxCpuPercent\"?, \"cpuWindowMs\"?, \"maxInstances\"?}",
      properties: {
        maxMemoryMb: integer(16, 16384, "MiB", "Ceiling for limits.memoryMb."),
        maxTimeoutMs: integer(10, 600_000, "milliseconds", "Ceiling for limits.timeoutMs."),
        maxBodyBytes: integer(0, 1_073_741_824, "bytes", "Ceiling for limits.maxBodyBytes."),
        maxConcurrent: integer(1, 100_000, "requests", "Ceiling for limits.maxConcurrent."),
        maxQueue: integer(0, 100_000, "requests", "Ceiling for limits.maxQueue."),
        maxCpuPercent: integer(1, 6400, "percent of one core", "Ceiling for limits.cpuPercent."),
        cpuWindowMs: integer(200, 3_600_000, "milliseconds", "The window CPU quotas are judged over."),
        maxInstances: integer(1, 64, "processes", "Ceiling for instances.max."),
      },
    },
    defaults: {
      description: "Limits for a manifest that sets none.",
      type: "object", additionalProperties: false,
      [EXPECTED_KEYWORD]: "an object {\"memoryMb\"?, \"timeoutMs\"?, \"maxBodyBytes\"?, \"maxConcurrent\"?, \"maxQueue\"?, \"cpuPercent\"?, \"idleTimeoutMs\"?}",
      properties: {
        memoryMb: integer(16, 16384, "MiB", "Default JS heap limit."),
        timeoutMs: integer(10, 600_000, "milliseconds", "Default request timeout."),
        maxBodyBytes: integer(0, 1_073_741_824, "bytes", "Default request body limit."),
        maxConcurrent: integer(1, 100_000, "requests", "Default requests at once per plugin."),
        maxQueue: integer(0, 100_000, "requests", "Default queue of waiting requests per plugin."),
        cpuPercent: integer(0, 6400, "percent of one core; 0 = no quota", "Default CPU quota per instance."),
        idleTimeoutMs: integer(1000, 86_400_000, "milliseconds", "Default idle time before a lazy plugin is stopped."),
      },
    },
    isolation: {
      description: "Whether plugins run in a bwrap mount namespace.",
      enum: ["auto", "namespace", "none"], [EXPECTED_KEYWORD]: "one of \"auto\", \"namespace\", \"none\"",
    },
    startTimeoutMs: integer(100, 600_000, "milliseconds", "How long a plugin has to become ready."),
    http: HTTP_POLICY_SCHEMA,
    monitoring: {
      description: "Liveness pings: two missed in a row restart the plugin as unresponsive.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"pingIntervalMs\"?, \"pingTimeoutMs\"?}",
      properties: {
        pingIntervalMs: integer(100, 3_600_000, "milliseconds", "How often each ready plugin is pinged."),
        pingTimeoutMs: integer(10, 60_000, "milliseconds", "How long a pong may take before the ping counts as missed."),
      },
    },
    scaling: SCALING_POLICY_SCHEMA,
    identity: {
      description: "Plugins trusted to say who the user is (locals.identity), for route roles.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"providers\"?}",
      properties: {
        providers: {
          description: "Names of plugins whose manifest says providesIdentity and whose locals.identity the host trusts.",
          type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of plugin names like [\"auth\"]",
          items: { type: "string", pattern: "^[a-z][a-z0-9-]*$", [EXPECTED_KEYWORD]: "a plugin name like \"auth\"" },
        },
      },
    },
    packages: {
      description: "Which .corral packages may be installed: unsigned ones, ones signed by a key not in <dataDir>/trusted-keys/.",
      type: "object", additionalProperties: false, [EXPECTED_KEYWORD]: "an object {\"allowUnsigned\"?: boolean, \"allowUntrusted\"?: boolean}",
      properties: {
        allowUnsigned: { type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
        allowUntrusted: { type: "boolean", [EXPECTED_KEYWORD]: "true or false" },
      },
    },
  },
};

// Compiled once: validation runs per file, compilation is the expensive part.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
ajv.addKeyword({ keyword: EXPECTED_KEYWORD, schemaType: "string" });
ajv.addFormat("net-pattern", { type: "string", validate: (text: string) => parseNetPattern(text) !== null });
ajv.addFormat("address-range", { type: "string", validate: (text: string) => parseAddressRange(text) !== null });
const validatePolicyFile = ajv.compile(POLICY_FILE_SCHEMA);
