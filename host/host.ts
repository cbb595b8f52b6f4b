/**
 * Wires a running host together: policy, discovery, one supervisor per plugin, the HTTP server,
 * and an orderly shutdown (stop accepting, drain, shut plugins down, kill stragglers).
 */
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import semver from "semver";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { openHostDatabase } from "./db/connect.ts";
import type { HostDatabase } from "./db/connect.ts";
import { loadHostSecret } from "./db/host-secret.ts";
import { migrateHostSchema } from "./db/host-migrations/migrate.ts";
import { openPluginDatabase } from "./db/open-plugin-database.ts";
import type { PluginDatabase } from "./db/plugin-database.ts";
import { PluginStore } from "./db/plugin-store.ts";
import { discoverPlugins } from "./discovery.ts";
import type { InvalidPlugin } from "./discovery.ts";
import { buildHealthReport } from "./health.ts";
import type { HealthReport } from "./health.ts";
import { loadAdminToken } from "./admin-token.ts";
import { createApp } from "./http/app.ts";
import { HostMiddleware } from "./http/middleware/host-middleware.ts";
import { ResponseCache } from "./http/middleware/response-cache.ts";
import type { Logger } from "./logger.ts";
import { buildLaunchPlan, describeGrants } from "./permission-flags.ts";
import type { RuntimePaths } from "./permission-flags.ts";
import { loadPolicy, withRuntimeDenies } from "./policy.ts";
import { resolveRuntimePaths } from "./runtime-paths.ts";
import { Supervisor } from "./supervisor.ts";
import { uninstallPlugin } from "./uninstall.ts";
import type { RestartPolicy } from "./supervisor.ts";
import { HOST_VERSION } from "./version.ts";

export interface HostConfig {
  readonly port: number;
  readonly hostname: string;
  readonly pluginsDir: string;
  readonly dataDir: string;
  readonly policyFile?: string;
  /** Postgres for the host and its plugins; the embedded server when missing. */
  readonly databaseUrl?: string;
  readonly logger: Logger;
  /** The environment plugins' granted variables are taken from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly shutdownGraceMs?: number;
  readonly restart?: RestartPolicy;
  /** Replaces parts of what resolveRuntimePaths finds (tests: a stand-in runner). */
  readonly runtimeOverrides?: Partial<RuntimePaths>;
  /** Largest frame a plugin may send; responses are bounded by maxBodyBytes well below it. */
  readonly maxFrameBytes?: number;
}

export interface RunningHost {
  readonly url: string;
  /** Bearer token of the admin API under /admin. */
  readonly adminToken: string;
  readonly port: number;
  health(): HealthReport;
  /** Resolves when every plugin has started or failed its first start. */
  readonly started: Promise<void>;
  close(reason: string): Promise<void>;
}

const DEFAULT_MAX_FRAME_BYTES = 80 * 1024 * 1024;

export async function startHost(config: HostConfig): Promise<RunningHost> {
  const log = config.logger;
  const startedAt = Date.now();
  await mkdir(config.dataDir, { recursive: true });
  const paths = { ...resolveRuntimePaths(config.dataDir, config.env), ...config.runtimeOverrides };
  const basePolicy = await loadPolicy(config.policyFile);
  const secret = await loadHostSecret(config.dataDir, config.env);
  const hostDb = await openHostDatabase({
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
    dataDir: config.dataDir,
    logger: log,
    hostSecret: secret.key,
  });
  const pluginDatabases = new Map<string, PluginDatabase>();
  let supervisorsStopped = false;
  const closeDatabases = async () => {
    await Promise.all([...pluginDatabases.values()].map((db) => db.close()));
    await hostDb.close();
  };
  try {
    await migrateHostSchema(hostDb.adminPool, log);
  } catch (error) {
    await closeDatabases();
    throw error;
  }
  const store = new PluginStore(hostDb.adminPool);

  const supervisors = new Map<string, Supervisor>();
  const invalid: InvalidPlugin[] = [];
  const inFlight = { count: 0 };
  let stopping = false;

  const responseCache = new ResponseCache(basePolicy.http.responseCache);
  const health = () => buildHealthReport({
    version: HOST_VERSION,
    startedAt,
    plugins: [...supervisors.values()].map((s) => ({ ...s.health(), responseCache: responseCache.counters(s.name) })),
    invalid,
    stopping,
    responseCache: responseCache.report(),
  });
  const admin = await loadAdminToken(config.dataDir, config.env);
  const app = createApp({
    lookup: (name) => supervisors.get(name),
    health,
    inFlight,
    isShuttingDown: () => stopping,
    adminToken: admin.token,
    log,
    uninstall: async (name, purge) => {
      const supervisor = supervisors.get(name);
      if (supervisor === undefined) throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
      supervisors.delete(name);
      const result = await uninstallPlugin({
        supervisor, pluginDir: supervisor.dir, database: pluginDatabases.get(name), hostDb, store,
        dataDir: config.dataDir, purge, log: log.forPlugin(name),
      });
      pluginDatabases.delete(name);
      return result;
    },
  });
  const middleware = new HostMiddleware({ policy: basePolicy.http, log, cache: responseCache });
  const server = createAdaptorServer({ fetch: middleware.wrap(app.fetch) }) as Server;
  await listen(server, config.port, config.hostname);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname}:${port}`;
  log.info("host listening", {
    url,
    version: HOST_VERSION,
    isolation: paths.bwrap === null ? "none (bwrap not found)" : "bwrap available",
    database: hostDb.kind,
    adminToken: admin.source,
  });

  if (paths.bwrap === null && basePolicy.isolation !== "none") {
    log.warn("bubblewrap (bwrap) is not installed: plugins run with Deno's permissions only, and a " +
      "plugin's static import can read any file this host can read; install it: apt-get install -y bubblewrap");
  }
  // A plugin must not reach the host's own port, nor the database server, through a net grant:
  // by any of this machine's addresses, since the host may listen on all of them.
  const addresses = localAddresses();
  const policy = withRuntimeDenies(basePolicy, [
    ...addresses.map((address) => hostPort(address, port)),
    `localhost:${port}`,
    ...databaseDenies(hostDb, addresses),
  ]);
  const discovery = await discoverPlugins(config.pluginsDir);
  invalid.push(...discovery.invalid);
  for (const bad of discovery.invalid) log.error("plugin skipped", { dir: bad.dir, code: bad.code, error: bad.message });
  for (const loaded of discovery.found) {
    const pluginLog = log.forPlugin(loaded.manifest.name);
    try {
      assertHostApi(loaded.manifest.name, loaded.manifest.hostApi, loaded.file);
      const plan = buildLaunchPlan({ loaded, policy, paths, hostEnv: config.env });
      pluginLog.info(`grants: ${describeGrants(plan.grants)}`);
      await store.recordLoaded(loaded.manifest);
      let database: PluginDatabase | undefined;
      if (loaded.manifest.database) {
        database = await openPluginDatabase({
          hostDb, secret: secret.key, store, manifest: loaded.manifest, timeoutMs: plan.grants.timeoutMs, logger: pluginLog,
        });
        pluginDatabases.set(loaded.manifest.name, database);
      }
      const name = loaded.manifest.name;
      supervisors.set(name, new Supervisor({
        loaded,
        plan,
        logger: pluginLog,
        hostVersion: HOST_VERSION,
        startTimeoutMs: policy.startTimeoutMs,
        maxFrameBytes: config.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        // The response cap sits below the frame cap, so an honest plugin never trips the latter.
        maxResponseBytes: Math.min(policy.limits.maxBodyBytes, (config.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) - 1024 * 1024),
        ...(config.restart === undefined ? {} : { restart: config.restart }),
        ...(database === undefined ? {} : { database }),
        onStateChange: (state) => {
          // A new process may answer differently: its cached answers go with the old one.
          if (state !== "ready" && state !== "starting") responseCache.dropPlugin(name);
          if (supervisorsStopped) return;
          store.recordState(name, state).catch((error: unknown) =>
            pluginLog.warn("could not record the plugin's state", { state, error: (error as Error).message }));
        },
      }));
    } catch (error) {
      const entry = { dir: loaded.dir, code: (error as { code?: string }).code ?? "CORRAL_E_POLICY_DENIED", message: (error as Error).message };
      invalid.push(entry);
      pluginLog.error("plugin refused", { code: entry.code, error: entry.message });
    }
  }
  const started = Promise.all([...supervisors.values()].map((s) => s.start())).then(() => {
    log.info("plugins started", { ready: [...supervisors.values()].filter((s) => s.state === "ready").map((s) => s.name) });
  });

  let closing: Promise<void> | undefined;
  const close = (reason: string) => {
    closing ??= (async () => {
      stopping = true;
      const grace = config.shutdownGraceMs ?? 10_000;
      log.info("host shutting down", { reason, inFlight: inFlight.count });
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await waitFor(() => inFlight.count === 0, grace);
      await Promise.all([...supervisors.values()].map((s) => s.stop(`host shutting down: ${reason}`, Math.min(grace, 5000))));
      supervisorsStopped = true;
      server.closeAllConnections();
      await closeDatabases();
      await serverClosed;
      log.info("host stopped");
    })();
    return closing;
  };
  return { url, adminToken: admin.token, port, health, started, close };
}

/** Host-port patterns for the database server, so no net grant reaches it directly. */
function databaseDenies(hostDb: HostDatabase, localAddresses: readonly string[]): string[] {
  const { host, port } = hostDb.connectionInfo;
  const local = host === "localhost" || localAddresses.includes(host);
  const hosts = new Set([host, ...(local ? [...localAddresses, "localhost"] : [])]);
  return [...hosts].map((h) => hostPort(h, port));
}

/** Every address of this machine's interfaces, loopback included. */
function localAddresses(): string[] {
  const addresses = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address.split("%")[0]!);
  }
  return [...addresses];
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Refuses a plugin whose `hostApi` range this host's version does not satisfy. */
function assertHostApi(name: string, range: string, file: string): void {
  if (!semver.satisfies(HOST_VERSION, range, { includePrerelease: true })) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID,
      `${file}: /hostApi: plugin "${name}" needs a host matching ${JSON.stringify(range)}, but this host is ${HOST_VERSION}; install a compatible version of the plugin`);
  }
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
