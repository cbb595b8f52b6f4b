/**
 * The host's HTTP surface as a Hono app: /health, and every plugin mounted at /plugins/<name>/.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { HealthReport } from "../health.ts";
import { type BeforeAnswer, writeAnswer, writeErrorAnswer } from "../hooks/answer.ts";
import type { AccessRefusal, RouteRoles } from "../access/route-roles.ts";
import type { GlobalHooks, RequestIds } from "../hooks/global-hooks.ts";
import type { Logger } from "../logger.ts";
import type { StaticCatalog } from "../static/catalog.ts";
import { serveStatic, staticMountOf } from "../static/serve-static.ts";
import { createAdminApp } from "./admin/admin-app.ts";
import { packageRoutes, type PackageRoutesDependencies } from "./admin/package-routes.ts";
import type { AdminAccess } from "./admin/admin-access.ts";
import { adminAccessRoutes, adminRouterOptions } from "./admin/admin-access.ts";
import { pluginRoutes } from "./admin/plugin-routes.ts";
import { managerRoutes } from "./admin/manager-routes.ts";
import type { Actor, PluginOperations } from "../manager/operations.ts";
import { errorAnswer, errorCodeOf } from "./error-response.ts";
import { metricsRoutes } from "./admin/metrics-routes.ts";
import type { HostTelemetry } from "../metrics/telemetry.ts";
import { metricsEndpoint } from "./metrics-endpoint.ts";
import { monitorRoutes } from "./admin/monitor-routes.ts";
import type { MonitorRoutesDependencies } from "./admin/monitor-routes.ts";
import { readiness } from "../monitoring/readiness.ts";
import { forward } from "./forward.ts";
import { updatesRoutes } from "./admin/updates-routes.ts";
import type { UpdatesSource } from "./admin/updates-routes.ts";
import { NO_REGISTRY } from "../registry-client/update-check.ts";
import type { SupervisorLookup } from "./forward.ts";
import { type ErrorResponder, jsonErrors } from "../templates/error-pages.ts";
import type { HostBindings } from "./middleware/host-middleware.ts";

export interface AppDependencies {
  readonly lookup: SupervisorLookup;
  readonly health: () => HealthReport;
  readonly log: Logger;
  /** The admin API's bearer token. */
  readonly adminToken: string;
  /** Admin users, API tokens, sessions, the audit log, plugin logs and the dashboard; the bootstrap token alone without it. */
  readonly access?: AdminAccess;
  readonly uninstall: (name: string, purge: boolean, actor: Actor) => Promise<unknown>;
  /** The plugin manager's operations (enable, disable, restart, versions); no routes for them when missing. */
  readonly operations?: PluginOperations;
  /** Counts requests in flight so shutdown can drain them. */
  readonly inFlight: { count: number };
  readonly isShuttingDown: () => boolean;
  /** Plugins' static files, served by the host at /plugins/<name>/static/ (none when missing). */
  readonly statics?: StaticCatalog;
  /** Host errors as HTML pages for browsers (host/templates/); JSON for everyone when unset. */
  readonly errorPage?: ErrorResponder;
  /** Plugins' global request hooks (host/hooks/); none when missing. */
  readonly hooks?: GlobalHooks;
  /** Route roles from manifests' `access` (host/access/); no route is guarded when missing. */
  readonly routeRoles?: RouteRoles;
  /** Metrics, request series and traces (host/metrics/); no /metrics and no series route when missing. */
  readonly telemetry?: HostTelemetry;
  /** State history, inspector and profiles (host/monitoring/, host/profiling/); no such routes when missing. */
  readonly monitor?: MonitorRoutesDependencies;
  /** Whether every plugin has had its first start (host.started resolved), for /health/ready. */
  readonly isStarted?: () => boolean;
  /** The registry's update notifications (host/registry-client/); GET /admin/updates answers "no registry" when missing. */
  readonly updates?: UpdatesSource;
  /** Installing `.corral` packages (host/packages/); the route is absent without it. */
  readonly packages?: PackageRoutesDependencies;
}

/** The host's routes; serve them through HostMiddleware.wrap(app.fetch), which sets `c.env.exchange`. */
export function createApp(deps: AppDependencies): Hono<{ Bindings: HostBindings }> {
  const app = new Hono<{ Bindings: HostBindings }>();
  const errorPage = deps.errorPage ?? jsonErrors;
  /** A host error for a page request: HTML for a browser, JSON otherwise, with the host's headers. */
  const sendPage = async (env: HostBindings, error: unknown, plugin?: string): Promise<Response> => {
    env.exchange.errorCode = errorCodeOf(error);
    const answer = await errorPage(error, env.incoming, env.outgoing, plugin, env.exchange.context.requestId);
    if (!env.outgoing.headersSent) env.outgoing.writeHead(answer.status, env.exchange.hostHeaders(answer.headers));
    env.outgoing.end(answer.body);
    return RESPONSE_ALREADY_SENT;
  };

  /**
   * Answers a request refused by route roles instead of its plugin: a signed-out browser goes to
   * the login page (303), anyone else gets 401 or 403. Through `beforeAnswer` when hooks run.
   */
  const refuseAccess = async (env: HostBindings, name: string, refusal: AccessRefusal, beforeAnswer?: BeforeAnswer): Promise<void> => {
    const roles = deps.routeRoles!;
    const { incoming, outgoing, exchange } = env;
    exchange.plugin = name;
    const location = roles.loginRedirect(refusal, incoming.method ?? "GET", incoming.headers.accept, incoming.url ?? "/");
    if (location === undefined) {
      const error = roles.error(name, refusal);
      if (beforeAnswer === undefined) return void await sendPage(env, error, name);
      exchange.errorCode = error.code;
      return await writeErrorAnswer(outgoing, error, beforeAnswer);
    }
    const headers = { location, "cache-control": "no-store" };
    if (beforeAnswer !== undefined) return await writeAnswer(outgoing, { status: 303, headers: Object.entries(headers).flat(), error: null }, "", beforeAnswer);
    outgoing.writeHead(303, exchange.hostHeaders(headers));
    outgoing.end();
  };

  app.get("/health", (c) => {
    const report = deps.health();
    return c.json(report, report.status === "stopping" ? 503 : 200);
  });

  // For a load balancer: live = the host process answers; ready = it accepts traffic (docs/health-and-profiling.md).
  app.get("/health/live", (c) => c.json({ status: "live" }));
  app.get("/health/ready", (c) => {
    const answer = readiness({
      started: deps.isStarted?.() ?? true, stopping: deps.isShuttingDown(), plugins: deps.health().plugins, required: c.req.query("plugins"),
    });
    return c.json(answer, answer.ready ? 200 : 503);
  });

  app.get("/health/plugins/:name", (c) => {
    const plugin = deps.health().plugins.find((p) => p.name === c.req.param("name"));
    if (plugin === undefined) return sendError(c.env, notFound(c.req.param("name")));
    const history = deps.monitor?.lookup(plugin.name)?.history();
    // An idle (lazy, unloaded) plugin is healthy: its next request starts it.
    return c.json(history === undefined ? plugin : { ...plugin, history }, plugin.state === "ready" || plugin.state === "idle" ? 200 : 503);
  });

  const adminOptions = adminRouterOptions(deps.adminToken, deps.access, deps.log);
  const authenticate = adminOptions.authenticate;
  app.route("/admin", createAdminApp(adminOptions, [
    pluginRoutes({ health: deps.health, lookup: deps.lookup, uninstall: deps.uninstall }),
    ...(deps.operations === undefined ? [] : [managerRoutes(deps.operations)]),
    ...adminAccessRoutes(deps.access, deps.health),
    ...(deps.telemetry === undefined ? [] : [metricsRoutes({ series: deps.telemetry.series, health: deps.health })]),
    ...(deps.monitor === undefined ? [] : [monitorRoutes(deps.monitor)]),
    updatesRoutes(deps.updates ?? { report: () => NO_REGISTRY }),
    ...(deps.packages === undefined ? [] : [packageRoutes(deps.packages)]),
  ]));
  const metrics = deps.telemetry === undefined ? undefined : metricsEndpoint(deps.telemetry.metrics, deps.telemetry.metricsAccess, authenticate);
  if (metrics !== undefined) app.route("/metrics", metrics);

  const statics = deps.statics;
  /**
   * A static file of plugin `name` at the routed `path`. A file the plugin's `access` rules
   * cover obeys them like a route: the beforeRequest hooks say who asks, and the host refuses
   * before it reads the file. A file no rule covers costs nothing more.
   */
  const toStatic = async (env: HostBindings, name: string, path: string, catalog: StaticCatalog): Promise<Response> => {
    const { incoming, outgoing, exchange } = env;
    const roles = deps.routeRoles;
    const guarded = roles !== undefined && roles.guards(name) && roles.checkStatic(name, path, {}) !== undefined;
    if (!guarded) return (await serveStatic(name, incoming, outgoing, catalog, deps.log)) ?? RESPONSE_ALREADY_SENT;
    exchange.plugin = name;
    const hooked = deps.hooks?.match(path, name);
    if (hooked === undefined) {
      await refuseAccess(env, name, roles.checkStatic(name, path, {})!);
      return RESPONSE_ALREADY_SENT;
    }
    let headAnswer: Response | undefined;
    const ids = exchange.hookIds;
    await hooked.run(incoming, outgoing, ids, async (context, beforeAnswer) => {
      const refusal = roles.checkStatic(name, path, context.locals);
      if (refusal !== undefined) return refuseAccess(env, name, refusal, beforeAnswer);
      headAnswer = await serveStatic(name, incoming, outgoing, catalog, deps.log, { guarded: true, beforeAnswer });
    });
    return headAnswer ?? RESPONSE_ALREADY_SENT;
  };
  const toPlugin = async (c: { req: { param(name: "name"): string; readonly path: string }; env: HostBindings }) => {
    const { incoming, outgoing, exchange } = c.env;
    // The router saw a normalized path: a raw "/plugins/x/static/../mod.ts" lands here, and is
    // still a static request, refused as such rather than forwarded.
    const staticMount = statics === undefined ? undefined : staticMountOf(incoming.url ?? "");
    if (statics !== undefined && staticMount !== undefined) return await toStatic(c.env, staticMount, c.req.path, statics);
    if (deps.isShuttingDown()) {
      return sendPage(c.env, new CorralError(ErrorCode.SHUTTING_DOWN, "the host is shutting down; retry on another instance"), c.req.param("name"));
    }
    deps.inFlight.count++;
    try {
      const name = c.req.param("name");
      const path = c.req.path;
      // Route roles run after the beforeRequest hooks (they attach the identity), before the plugin.
      const guarded = deps.routeRoles?.guards(name) === true;
      const hooked = deps.hooks?.match(path, name);
      if (hooked === undefined) {
        const refusal = guarded ? deps.routeRoles!.check(name, path, {}) : undefined;
        if (refusal !== undefined) await refuseAccess(c.env, name, refusal);
        else await forward(name, incoming, outgoing, deps.lookup, deps.log, exchange.context, errorPage, undefined, exchange);
      } else {
        const ids = exchange.hookIds;
        await hooked.run(incoming, outgoing, ids, (context, beforeAnswer) => {
          const refusal = guarded ? deps.routeRoles!.check(name, path, context.locals) : undefined;
          if (refusal !== undefined) return refuseAccess(c.env, name, refusal, beforeAnswer);
          return forward(name, incoming, outgoing, deps.lookup, deps.log, context, errorPage, beforeAnswer, exchange);
        });
      }
    } finally {
      deps.inFlight.count--;
    }
    return RESPONSE_ALREADY_SENT;
  };
  // Before the forwarding routes: static files never cost a trip to the plugin process.
  if (statics !== undefined) {
    app.all("/plugins/:name/static/*", (c) => toStatic(c.env, c.req.param("name"), c.req.path, statics));
  }
  app.all("/plugins/:name", toPlugin);
  app.all("/plugins/:name/*", toPlugin);

  app.notFound(async (c) => {
    const error = new CorralError(ErrorCode.PLUGIN_NOT_FOUND,
      `nothing is served at ${c.req.path}; plugins are mounted at /plugins/<name>/ and the host's status is at /health`);
    // The host's own answers get global hooks too (an auth hook may guard a path before it is a 404).
    const hooked = deps.hooks?.match(c.req.path, null);
    if (hooked === undefined) return sendPage(c.env, error);
    const { incoming, outgoing } = c.env;
    const { exchange } = c.env;
    const ids = exchange.hookIds;
    await hooked.run(incoming, outgoing, ids, (_context, beforeAnswer) => writeErrorAnswer(outgoing, error, beforeAnswer));
    return RESPONSE_ALREADY_SENT;
  });
  // Middleware refusals (e.g. the admin API's bearer check) carry their own response.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (!(error instanceof CorralError)) deps.log.error("internal error", { path: c.req.path, error: error.stack ?? String(error) });
    return sendPage(c.env, error);
  });
  return app;
}

function notFound(name: string): CorralError {
  return new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
}

function sendError(env: HostBindings, error: unknown): Response {
  const { outgoing, exchange } = env;
  const answer = errorAnswer(error);
  if (!outgoing.headersSent) outgoing.writeHead(answer.status, exchange.hostHeaders(answer.headers));
  outgoing.end(answer.body);
  return RESPONSE_ALREADY_SENT;
}
