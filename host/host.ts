/**
 * Wires a running host together: policy, discovery, one supervisor per plugin, the HTTP server,
 * and an orderly shutdown (stop accepting, drain, shut plugins down, kill stragglers).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { DEFAULT_CACHE_MAX_BYTES, HostCache } from "./cache/host-cache.ts";
import { registerCacheServices } from "./cache/services.ts";
import { openHostDatabase } from "./db/connect.ts";
import { loadHostSecret } from "./db/host-secret.ts";
import { migrateHostSchema } from "./db/host-migrations/migrate.ts";
import { PluginStore } from "./db/plugin-store.ts";
import { discoverPlugins } from "./discovery.ts";
import type { InvalidPlugin } from "./discovery.ts";
import { createHostEvents } from "./events/host-events.ts";
import { buildHealthReport } from "./health.ts";
import type { HealthReport } from "./health.ts";
import { loadAdminToken } from "./admin-token.ts";
import { AccessStore, SESSION_TTL_MS } from "./admin/access-store.ts";
import { AuditLog } from "./admin/audit-log.ts";
import { LogRing } from "./admin/log-ring.ts";
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, LoginLimiter } from "./admin/login-limiter.ts";
import { GlobalHooks } from "./hooks/global-hooks.ts";
import { RouteRoles } from "./access/route-roles.ts";
import { createApp } from "./http/app.ts";
import { HostMiddleware } from "./http/middleware/host-middleware.ts";
import { ResponseCache } from "./http/middleware/response-cache.ts";
import type { Logger } from "./logger.ts";
import { HostTelemetry } from "./metrics/telemetry.ts";
import { newHostId, StateHistoryStore } from "./monitoring/state-history-store.ts";
import type { StateChange } from "./monitoring/state-history.ts";
import type { RuntimePaths } from "./permission-flags.ts";
import { deploymentFactory } from "./manager/create-handle.ts";
import type { DeploymentFactory } from "./manager/create-handle.ts";
import type { ManagedPlugin } from "./manager/managed-plugin.ts";
import { ManagerStore } from "./manager/manager-store.ts";
import { PluginManager } from "./manager/plugin-manager.ts";
import { ChangeListener } from "./manager/change-listener.ts";
import { DevWatcher } from "./manager/dev-watcher.ts";
import { loadPolicy, withRuntimeDenies } from "./policy.ts";
import { resolveLoadOrder } from "./plugins/resolve-load-order.ts";
import type { BlockedPlugin } from "./plugins/resolve-load-order.ts";
import { startInOrder } from "./plugins/start-in-order.ts";
import { StateWatch } from "./plugins/state-watch.ts";
import { resolveRuntimePaths } from "./runtime-paths.ts";
import { runtimeDenies } from "./runtime-denies.ts";
import { assertHostApi } from "./manifest/host-api.ts";
import { ServiceRegistry } from "./services/registry.ts";
import { registerHostHealthService } from "./services/host-health-service.ts";
import { StaticCatalog } from "./static/catalog.ts";
import { createHostTemplates } from "./templates/host-templates.ts";
import { uninstallPlugin } from "./uninstall.ts";
import type { PluginState, RestartPolicy } from "./supervisor.ts";
import { HOST_VERSION } from "./version.ts";
import { RegistryClient } from "./registry-client/registry-client.ts";
import { checkIntervalFromEnv, UpdateChecker } from "./registry-client/update-check.ts";

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
  /** Development mode (CORRAL_DEV=1): plugin folders are watched and a change reloads the plugin. */
  readonly dev?: boolean;
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
  // Metrics, the dashboard's series, traces (when OTEL_EXPORTER_OTLP_* is set); health() is read at scrape time.
  const telemetry = new HostTelemetry({ health: () => health(), env: config.env, hostVersion: HOST_VERSION });
  const secret = await loadHostSecret(config.dataDir, config.env);
  const hostDb = await openHostDatabase({
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
    dataDir: config.dataDir,
    logger: log,
    hostSecret: secret.key,
  });
  let supervisorsStopped = false;
  // Each deployment closes its own plugin pool when it stops (host/manager/create-handle.ts).
  const closeDatabases = async () => {
    await hostDb.close();
  };
  try {
    await migrateHostSchema(hostDb.adminPool, log);
  } catch (error) {
    await closeDatabases();
    throw error;
  }
  const store = new PluginStore(hostDb.adminPool);
  const stateHistory = new StateHistoryStore(hostDb.adminPool, newHostId());
  let startedAll = false;

  // The plugins by name, owned by the plugin manager (host/manager/): what stands behind a name can change at runtime.
  const supervisors = new Map<string, ManagedPlugin>();
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
  // host.health: the /health report for plugins granted "host": ["health"] (a monitoring page).
  registerHostHealthService(services, { health: () => health(), series: telemetry.series });
  const invalid: InvalidPlugin[] = [];
  const blocked = new Map<string, BlockedPlugin>();
  const refusedAtSetup = new Map<string, string>();
  const states = new StateWatch();
  const inFlight = { count: 0 };
  let stopping = false;

  // Plugins' global request hooks; configured once every plugin is loaded.
  const routeRoles = new RouteRoles(log);
  const hooks = new GlobalHooks({ lookup: (name) => supervisors.get(name), log, mayProvideIdentity: (name) => routeRoles.mayProvideIdentity(name) });
  const responseCache = new ResponseCache(basePolicy.http.responseCache);
  /** Global hooks follow every managed plugin's manifest (a disabled plugin's beforeRequest fails closed). */
  const configureHooks = () => {
    hooks.configure([...supervisors.values()].map((s) => s.manifest));
    // Route roles and identity grants follow the same manifests (host/access/).
    routeRoles.configure([...supervisors.values()].map((s) => s.manifest), basePolicy.identity);
  };
  const managerStore = new ManagerStore(hostDb.adminPool);
  let factory: DeploymentFactory | undefined;
  // State writes still in flight when the host stops (the plugins' last "stopped") are awaited
  // before the pools close, so shutdown neither loses them nor logs "pool ended" warnings.
  const stateWrites = new Set<Promise<void>>();
  // During shutdown the database may be going down too (Ctrl-C in a terminal also reaches an
  // embedded Postgres): failed writes then are counted into one line instead of two per plugin.
  let shutdownWriteFailures = 0;
  const trackStateWrite = (write: Promise<unknown>, name: string, what: string, state: PluginState) => {
    const done = write.then(() => undefined, (error: unknown) => {
      if (stopping) shutdownWriteFailures++;
      else log.forPlugin(name).warn(`could not record the plugin's ${what}`, { state, error: (error as Error).message });
    });
    stateWrites.add(done);
    void done.finally(() => stateWrites.delete(done));
  };
  /** A plugin's state change, with when and why: watchers, events, caches, the database's record and history. */
  const stateChanged = (name: string, state: PluginState, change: StateChange) => {
    const pluginLog = log.forPlugin(name);
    pluginLog.info("plugin state", { from: change.from, to: change.to, reason: change.reason });
    states.notify(name, state);
    events.stateChanged(name, state);
    // A new process may answer differently: its cached answers go with the old one.
    if (state !== "ready" && state !== "starting") responseCache.dropPlugin(name);
    if (supervisorsStopped) return;
    trackStateWrite(store.recordState(name, state), name, "state", state);
    trackStateWrite(stateHistory.record(name, change), name, "state history", state);
  };
  const manager = new PluginManager({
    plugins: supervisors,
    store: managerStore,
    factory: () => factory!,
    hooks: {
      stateChanged,
      // Compiled before the plugin starts, so its static_url() map is complete; a build error is logged, not fatal.
      prepare: async (loaded) => void await statics.add(loaded),
      switched: (name) => {
        responseCache.dropPlugin(name);
        void templates.invalidate(name, "all");
        // The new version's manifest may declare other global hooks.
        configureHooks();
      },
    },
    // A plugin installed at runtime: its global hooks apply from now on, without a host restart.
    added: () => configureHooks(),
    // Uninstalled (here or on another host): stopped for good (its database pool closes with it), then forgotten.
    removed: async (plugin) => {
      statics.remove(plugin.name);
      await plugin.stop("uninstalled", 5000);
      events.unloaded(plugin, "uninstalled");
      cache.drop(plugin.name);
      logRing.drop(plugin.name);
      telemetry.drop(plugin.name);
      configureHooks();
    },
    events,
    log,
    dataDir: config.dataDir,
    isStopping: () => stopping,
  });
  // CORRAL_REGISTRY_URL: check the registry for newer compatible versions and advisories (docs/registry.md).
  const registryUrl = config.env.CORRAL_REGISTRY_URL;
  const updates = registryUrl === undefined || registryUrl === "" ? undefined : new UpdateChecker({
    client: new RegistryClient({ url: registryUrl }), hostVersion: HOST_VERSION, intervalMs: checkIntervalFromEnv(config.env), log,
    installed: () => [...supervisors.values()].map((s) => ({ name: s.name, version: s.health().version })),
  });
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
    ...(updates === undefined ? {} : { updates: updates.report() }),
    access: routeRoles.report(),
  });
  const admin = await loadAdminToken(config.dataDir, config.env);
  // Each plugin's recent log records, for the admin API's logs and the dashboard's recent errors.
  const logRing = new LogRing();
  const stopRing = log.onRecord((record) => logRing.add(record));
  const access = {
    store: new AccessStore(hostDb.adminPool), audit: new AuditLog(hostDb.adminPool), ring: logRing, limiter: new LoginLimiter(),
    operations: manager,
    series: telemetry.series,
    trustedOrigins: basePolicy.http.csrf.trustedOrigins,
  };
  const app = createApp({
    statics,
    lookup: (name) => supervisors.get(name),
    health,
    inFlight,
    isShuttingDown: () => stopping,
    errorPage: templates.errorPage,
    hooks,
    routeRoles,
    telemetry,
    adminToken: admin.token,
    access,
    log,
    operations: manager,
    isStarted: () => startedAll,
    ...(updates === undefined ? {} : { updates: { report: () => updates.report(), checkNow: () => updates.checkNow() } }),
    packages: {
      operations: manager, dataDir: config.dataDir,
      trust: config.dev === true ? { allowUnsigned: true, allowUntrusted: true } : basePolicy.packages ?? { allowUnsigned: false, allowUntrusted: false },
      runningManifest: (name) => supervisors.get(name)?.manifest,
    },
    monitor: {
      lookup: (name) => supervisors.get(name),
      storedHistory: (name, limit) => stateHistory.list(name, limit),
      dataDir: config.dataDir,
    },
    // Cluster-wide: every host sharing the database removes the plugin (host/manager/); this one
    // also moves its folder aside and, with purge, drops its data.
    uninstall: async (name, purge, actor) => {
      const plugin = await manager.uninstall(name, actor);
      return uninstallPlugin({ name, pluginDir: plugin.dir, hostDb, store, dataDir: config.dataDir, purge, log: log.forPlugin(name) });
    },
  });
  const middleware = new HostMiddleware({ policy: basePolicy.http, log, cache: responseCache, observer: telemetry });
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
    metrics: telemetry.metricsAccess === "off" ? "off" : `/metrics (${telemetry.metricsAccess === "public" ? "no credential" : "admin API token with observe.read"})`,
    tracing: telemetry.tracesUrl === undefined ? "off" : `OTLP/HTTP to ${telemetry.tracesUrl}`,
  });

  log.info("admin access", {
    dashboard: `${url}/admin/ui/`, sessionHours: SESSION_TTL_MS / 3_600_000,
    loginLimit: `${LOGIN_MAX_FAILURES} failures per user and address per ${LOGIN_WINDOW_MS / 60_000} min`,
  });
  if (paths.bwrap === null && basePolicy.isolation !== "none") {
    log.warn("bubblewrap (bwrap) is not installed: plugins run with Deno's permissions only, and a " +
      "plugin's static import can read any file this host can read; install it: apt-get install -y bubblewrap");
  }
  // A plugin must not reach the host's own port, nor the database server, through a net grant.
  const policy = withRuntimeDenies(basePolicy, runtimeDenies({ hostPort: port, database: hostDb.connectionInfo }));
  factory = deploymentFactory({
    policy, paths, hostEnv: config.env, hostDb, secret: secret.key, store, services, log, hostVersion: HOST_VERSION,
    maxFrameBytes: config.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    ...(config.restart === undefined ? {} : { restart: config.restart }),
    queryObserver: (plugin) => telemetry.queryObserver(plugin),
  });
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
    // Disabled with the plugin it needs: it stays disabled (and listed so), not blocked.
    if (supervisors.get(plugin.name)?.isDisabled === true) return;
    blocked.set(plugin.name, plugin);
    // Stopping it closes its database pool, if already open.
    manager.unload(plugin.name)?.stop("blocked", 1000).catch((error: unknown) =>
      log.forPlugin(plugin.name).warn("could not stop the blocked plugin", { error: (error as Error).message }));
    log.forPlugin(plugin.name).error("plugin blocked", { code: plugin.code, blockedBy: plugin.blockedBy, error: plugin.message });
  };
  resolution.blocked.forEach(holdBack);
  for (const loaded of resolution.order) {
    const pluginLog = log.forPlugin(loaded.manifest.name);
    try {
      // Records it, and builds its deployment unless an operator disabled it (persisted).
      const outcome = await manager.load(loaded);
      if (outcome !== "enabled") refusedAtSetup.set(loaded.manifest.name, `"${loaded.manifest.name}" is ${outcome}`);
    } catch (error) {
      manager.unload(loaded.manifest.name);
      const entry = { dir: loaded.dir, code: (error as { code?: string }).code ?? "CORRAL_E_POLICY_DENIED", message: (error as Error).message };
      invalid.push(entry);
      refusedAtSetup.set(loaded.manifest.name, entry.message.split("\n")[0]!);
      pluginLog.error("plugin refused", { code: entry.code, error: entry.message });
    }
  }
  await templates.watch([...supervisors.keys()]);
  events.checkDeclarations();
  configureHooks();
  // Each plugin starts once the plugins it needs are ready; unrelated plugins start side by side.
  // Disabled plugins are not started; what depends on them is held back.
  const enabled = new Map([...supervisors].filter(([, plugin]) => !plugin.isDisabled));
  const listener = new ChangeListener({ connect: () => hostDb.adminPool.connect(), log, onChange: (name) => void manager.reconcile(name), onReconnect: () => void manager.reconcileAll() });
  const watcher = config.dev === true ? new DevWatcher({ log, onChange: (name) => void manager.reload(name) }) : undefined;
  const started = startInOrder(resolution.order, { supervisors: enabled, refusedAtSetup, states, isStopping: () => stopping, onBlocked: holdBack }).then(async () => {
    startedAll = true;
    log.info("plugins started", { ready: [...supervisors.values()].filter((s) => s.state === "ready").map((s) => s.name) });
    // Other hosts' decisions reach this one from now on; what was installed elsewhere is loaded.
    await listener.start();
    await manager.loadInstalledElsewhere();
    void manager.learnAllMigrations();
    if (!stopping) updates?.start();
    for (const plugin of supervisors.values()) watcher?.watch(plugin.name, plugin.dir);
  });

  let closing: Promise<void> | undefined;
  const close = (reason: string) => {
    closing ??= (async () => {
      stopping = true;
      updates?.stop();
      templates.close();
      watcher?.close();
      await listener.close();
      const grace = config.shutdownGraceMs ?? 10_000;
      log.info("host shutting down", { reason, inFlight: inFlight.count });
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await waitFor(() => inFlight.count === 0, grace);
      await Promise.all([...supervisors.values()].map((s) => s.stop(`host shutting down: ${reason}`, Math.min(grace, 5000))));
      supervisorsStopped = true;
      await Promise.all(stateWrites);
      if (shutdownWriteFailures > 0) {
        log.info("the plugins' last states were not all recorded: the database was not reachable during shutdown", { failedWrites: shutdownWriteFailures });
      }
      statics.close();
      stopRing();
      server.closeAllConnections();
      await closeDatabases();
      await serverClosed;
      await telemetry.close();
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
