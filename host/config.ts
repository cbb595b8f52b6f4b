/**
 * Reads the host's configuration from the environment, refusing bad values with a message that
 * names the variable, the value and what was expected.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { CorralError, ErrorCode } from "../schemas/errors.ts";

export interface EnvConfig {
  readonly port: number;
  readonly hostname: string;
  readonly pluginsDir: string;
  readonly dataDir: string;
  /** Host overrides of plugins' static files (`<staticDir>/plugins/<name>/<path>`); a missing folder means none. */
  readonly staticDir: string;
  readonly policyFile: string | undefined;
  /** The operator's template overrides and error pages; a missing folder means none. */
  readonly templatesDir: string;
  readonly databaseUrl: string | undefined;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** CORRAL_CACHE_MAX_BYTES: the host cache's ceiling, for all plugins together. */
  readonly cacheMaxBytes: number | undefined;
  /** CORRAL_DEV=1: development mode, plugin folders are watched and reloaded on change. */
  readonly dev: boolean;
}

export const ENV_HELP = `Environment:
  PORT                 port to listen on (default 8080)
  HOST                 address to bind (default 0.0.0.0)
  CORRAL_PLUGINS_DIR   folder of plugin folders (default ./plugins)
  CORRAL_DATA_DIR      where the host keeps its state (default ./.corral)
  CORRAL_STATIC_DIR    host overrides of plugin static files, <dir>/plugins/<name>/<path> (default ./static)
  CORRAL_POLICY        host policy JSON file (default: ./corral.policy.json when it exists, else the built-in policy; see docs/security.md)
  CORRAL_TEMPLATES_DIR template overrides and error pages (default ./templates; see docs/templates.md)
  DATABASE_URL         Postgres for plugins (default: the embedded Postgres)
  CORRAL_LOG_LEVEL     debug | info | warn | error (default info)
  CORRAL_ADMIN_TOKEN   bearer token of the admin API under /admin (default: made once in <data dir>/admin-token)
  CORRAL_SECRET        host secret that plugin database passwords derive from (default: <data dir>/host-secret)
  CORRAL_DENO          the deno binary to run plugins with (default: the one installed by npm)
  CORRAL_NO_BWRAP=1    run plugins without the bubblewrap namespace even when bwrap is installed
  CORRAL_CACHE_MAX_BYTES  memory of the host cache for all plugins together (default 67108864, 64 MiB)
  CORRAL_DEV=1         development mode: watch plugin folders and reload a plugin when its files change
  CORRAL_METRICS       who may read /metrics: token (an admin API token, default) | public | off
  OTEL_EXPORTER_OTLP_ENDPOINT  export traces over OTLP/HTTP to <url>/v1/traces (default: no traces; see docs/metrics-and-traces.md)
  CORRAL_REGISTRY_URL  a plugin registry to check for updates and advisories (default: none; see docs/registry.md)
  CORRAL_REGISTRY_CHECK_MS  how often to check it (default 21600000, 6 h)
  CORRAL_PLUGIN_CPU_PROF_DIR  benchmarking only: run plugins with deno --cpu-prof, profiles to this absolute folder (see docs/benchmarks.md)`;

export function readEnvConfig(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): EnvConfig {
  const port = env.PORT === undefined || env.PORT === "" ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `PORT must be a whole number from 0 to 65535, got ${JSON.stringify(env.PORT)}`);
  }
  const logLevel = env.CORRAL_LOG_LEVEL ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `CORRAL_LOG_LEVEL must be debug, info, warn or error, got ${JSON.stringify(logLevel)}`);
  }
  const cacheMaxBytes = env.CORRAL_CACHE_MAX_BYTES ? Number(env.CORRAL_CACHE_MAX_BYTES) : undefined;
  if (cacheMaxBytes !== undefined && (!Number.isSafeInteger(cacheMaxBytes) || cacheMaxBytes < 1024)) {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `CORRAL_CACHE_MAX_BYTES must be a whole number of bytes of at least 1024, got ${JSON.stringify(env.CORRAL_CACHE_MAX_BYTES)}`);
  }
  return {
    port,
    hostname: env.HOST || "0.0.0.0",
    pluginsDir: resolve(cwd, env.CORRAL_PLUGINS_DIR || "plugins"),
    dataDir: resolve(cwd, env.CORRAL_DATA_DIR || ".corral"),
    staticDir: resolve(cwd, env.CORRAL_STATIC_DIR || "static"),
    policyFile: env.CORRAL_POLICY ? resolve(cwd, env.CORRAL_POLICY) : shippedPolicyFile(cwd),
    templatesDir: resolve(cwd, env.CORRAL_TEMPLATES_DIR || "templates"),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: logLevel as EnvConfig["logLevel"],
    cacheMaxBytes,
    dev: env.CORRAL_DEV === "1" || env.CORRAL_DEV === "true",
  };
}

/**
 * The policy file in the current folder: the repository ships one (`corral.policy.json`) that
 * grants the shipped auth plugin the identity role, so `npm start` has working route roles. A
 * file, not a built-in default: the grant is visible, and an operator edits or removes it.
 */
export const SHIPPED_POLICY_FILE = "corral.policy.json";

function shippedPolicyFile(cwd: string): string | undefined {
  const file = resolve(cwd, SHIPPED_POLICY_FILE);
  return existsSync(file) ? file : undefined;
}
