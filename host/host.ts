/**
 * Wires a running host together: policy, discovery, one supervisor per plugin, the HTTP server,
 * and an orderly shutdown (stop accepting, drain, shut plugins down, kill stragglers).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { DEFAULT_CACHE_MAX_BYTES, HostCache } from "./cache/host-cache.ts";
import { registerCacheServices } from "./cache/services.ts";
import { openHostDatabase } from "./db/connect.ts";
import { loadHostSecret } from "./db/host-secret.ts";
import { migrateHostSchema } from "./db/host-migrations/migrate.ts";
import { openPluginDatabase } from "./db/open-plugin-database.ts";
import type { PluginDatabase } from "./db/plugin-database.ts";
import { PluginStore } from "./db/plugin-store.ts";
import { discoverPlugins } from "./discovery.ts";
import type { InvalidPlugin } from "./discovery.ts";
import { createHostEvents } from "./events/host-events.ts";
import { buildHealthReport } from "./health.ts";
import type { HealthReport } from "./health.ts";
import { loadAdminToken } from "./admin-token.ts";
import { GlobalHooks } from "./hooks/global-hooks.ts";
import { createApp } from "./http/app.ts";
import { HostMiddleware } from "./http/middleware/host-middleware.ts";
import { ResponseCache } from "./http/middleware/response-cache.ts";
import type { Logger } from "./logger.ts";
import { buildLaunchPlan, describeGrants } from "./permission-flags.ts";
import type { RuntimePaths } from "./permission-flags.ts";
import { loadPolicy, withRuntimeDenies } from "./policy.ts";
import { resolveLoadOrder } from "./plugins/resolve-load-order.ts";
import type { BlockedPlugin } from "./plugins/resolve-load-order.ts";
import { startInOrder } from "./plugins/start-in-order.ts";
import { StateWatch } from "./plugins/state-watch.ts";
import { resolveRuntimePaths } from "./runtime-paths.ts";
import { runtimeDenies } from "./runtime-denies.ts";
import { assertHostApi } from "./manifest/host-api.ts";
import { ServiceRegistry } from "./services/registry.ts";
import { StaticCatalog } from "./static/catalog.ts";
import { createPluginHandle } from "./instances/create-plugin-handle.ts";
import type { PluginHandle } from "./plugins/plugin-handle.ts";
import { createHostTemplates } from "./templates/host-templates.ts";
import { uninstallPlugin } from "./uninstall.ts";
import type { RestartPolicy } from "./supervisor.ts";
import { HOST_VERSION } from "./version.ts";

export interface HostConfig {
  readonly port: number;
  readonly hostname: string;
  readonly pluginsDir: string;
  readonly dataDir: string;
  /** Host overrides of plugins' static files: `<staticDir>/plugins/<name>/<path>`. Missing: no overrides. */
  readonly staticDir?: string;
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
  /** The operator's template overrides and error pages (docs/templates.md); none when unset or missing. */
  readonly templatesDir?: string;
  /** The host cache's ceiling for all plugins together (CORRAL_CACHE_MAX_BYTES). */
  readonly cacheMaxBytes?: number;
}

export interface RunningHost {
  readonly url: string;
  /** Bearer token of the admin API under /admin. */
  readonly adminToken: string;
  readonly port: number;
  health(): HealthReport;
  /**
   * Resolves when every plugin has started, failed its first start, or been blocked. Plugins
   * start in dependency order: one that others need is waited for until it is ready or failed.
   */
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

  const supervisors = new Map<string, PluginHandle>();
  // Host services plugins may call (events, extension points, cache...); each feature registers its own.
  const services = new ServiceRegistry();
  const statics = new StaticCatalog({
    dataDir: config.dataDir, staticDir: config.staticDir, log, readableRoots: [join(paths.projectRoot, "node_modules")],
  });
  const templates = createHostTemplates({
    templatesDir: config.templatesDir, services, log, plugin: (name) => supervisors.get(name),
    // {{static_url}} gives fingerprinted URLs; a changed static file makes the plugin fetch them again.
    staticUrls: ({ name }) => statics.urlsFor(name),
  });
  statics.onChange((name) => void templates.invalidate(name, "all"));
  const events = createHostEvents({ services, plugins: supervisors, log });
  const cache = new HostCache({ maxBytes: config.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES });
  registerCacheServices(services, cache);
  const invalid: InvalidPlugin[] = [];
  const blocked = new Map<string, BlockedPlugin>();
  const refusedAtSetup = new Map<string, string>();
  const states = new StateWatch();
  const inFlight = { count: 0 };
  let stopping = false;

  // Plugins' global request hooks; configured once every plugin is loaded.
  const hooks = new GlobalHooks({ lookup: (name) => supervisors.get(name), log });
  const responseCache = new ResponseCache(basePolicy.http.responseCache);
  const health = () => buildHealthReport({
    version: HOST_VERSION,
    startedAt,
    plugins: [...supervisors.values()].map((s) => ({ ...s.health(), responseCache: responseCache.counters(s.name) })),
    invalid,
    stopping,
    blocked: [...blocked.values()],
    events: events.health(),
    hooks: hooks.health(),
    cache: cache.stats(),
    responseCache: responseCache.report(),
  });
  const admin = await loadAdminToken(config.dataDir, config.env);
  const app = createApp({
    statics,
    lookup: (name) => supervisors.get(name),
    health,
    inFlight,
    isShuttingDown: () => stopping,
    errorPage: templates.errorPage,
    hooks,
    adminToken: admin.token,
    log,
    uninstall: async (name, purge) => {
      const supervisor = supervisors.get(name);
      if (supervisor === undefined) throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
      supervisors.delete(name);
      statics.remove(name);
      const result = await uninstallPlugin({
        supervisor, pluginDir: supervisor.dir, database: pluginDatabases.get(name), hostDb, store,
        dataDir: config.dataDir, purge, log: log.forPlugin(name),
      });
      pluginDatabases.delete(name);
      events.unloaded(supervisor, "uninstalled");
      cache.drop(name);
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
  // A plugin must not reach the host's own port, nor the database server, through a net grant.
  const policy = withRuntimeDenies(basePolicy, runtimeDenies({ hostPort: port, database: hostDb.connectionInfo }));
  const discovery = await discoverPlugins(config.pluginsDir);
  invalid.push(...discovery.invalid);
  for (const bad of discovery.invalid) log.error("plugin skipped", { dir: bad.dir, code: bad.code, error: bad.message });
  // Name conflicts, hostApi and dependencies: see host/plugins/resolve-load-order.ts.
  const resolution = resolveLoadOrder(discovery.found, HOST_VERSION);
  for (const refusal of resolution.refused) {
    invalid.push({ dir: refusal.dir, code: refusal.code, message: refusal.message });
    log.forPlugin(refusal.name).error("plugin refused", { code: refusal.code, error: refusal.message });
  }
  for (const warning of resolution.warnings) log.warn("global hook order", { warning });
  // A blocked plugin is not started nor mounted; its database pool, if already open, is closed.
  const holdBack = (plugin: BlockedPlugin) => {
    if (stopping) return;
    blocked.set(plugin.name, plugin);
    supervisors.delete(plugin.name);
    pluginDatabases.get(plugin.name)?.close().catch((error: unknown) =>
      log.forPlugin(plugin.name).warn("could not close the plugin's database pool", { error: (error as Error).message }));
    pluginDatabases.delete(plugin.name);
    log.forPlugin(plugin.name).error("plugin blocked", { code: plugin.code, blockedBy: plugin.blockedBy, error: plugin.message });
  };
  resolution.blocked.forEach(holdBack);
  for (const loaded of resolution.order) {
    const pluginLog = log.forPlugin(loaded.manifest.name);
    try {
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
      // Compiled before the plugin starts, so its static_url() map is complete; a build error is logged, not fatal.
      await statics.add(loaded);
      supervisors.set(name, createPluginHandle({
        policy,
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
        services,
        onStateChange: (state) => {
          states.notify(name, state);
          events.stateChanged(name, state);
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
      refusedAtSetup.set(loaded.manifest.name, entry.message.split("\n")[0]!);
      pluginLog.error("plugin refused", { code: entry.code, error: entry.message });
    }
  }
  await templates.watch([...supervisors.keys()]);
  events.checkDeclarations();
  hooks.configure([...supervisors.values()].map((s) => s.manifest));
  // Each plugin starts once the plugins it needs are ready; unrelated plugins start side by side.
  const started = startInOrder(resolution.order, { supervisors, refusedAtSetup, states, isStopping: () => stopping, onBlocked: holdBack }).then(() => {
    log.info("plugins started", { ready: [...supervisors.values()].filter((s) => s.state === "ready").map((s) => s.name) });
  });

  let closing: Promise<void> | undefined;
  const close = (reason: string) => {
    closing ??= (async () => {
      stopping = true;
      templates.close();
      const grace = config.shutdownGraceMs ?? 10_000;
      log.info("host shutting down", { reason, inFlight: inFlight.count });
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await waitFor(() => inFlight.count === 0, grace);
      await Promise.all([...supervisors.values()].map((s) => s.stop(`host shutting down: ${reason}`, Math.min(grace, 5000))));
      supervisorsStopped = true;
      statics.close();
      server.closeAllConnections();
      await closeDatabases();
      await serverClosed;
      log.info("host stopped");
    })();
    return closing;
  };
  return { url, adminToken: admin.token, port, health, started, close };
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
