/**
 * The host's HTTP surface as a Hono app: /health, and every plugin mounted at /plugins/<name>/.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { HealthReport } from "../health.ts";
import type { Logger } from "../logger.ts";
import { createAdminApp } from "./admin.ts";
import { errorAnswer } from "./error-response.ts";
import { forward } from "./forward.ts";
import type { SupervisorLookup } from "./forward.ts";
import type { HostBindings } from "./middleware/host-middleware.ts";

export interface AppDependencies {
  readonly lookup: SupervisorLookup;
  readonly health: () => HealthReport;
  readonly log: Logger;
  /** The admin API's bearer token. */
  readonly adminToken: string;
  readonly uninstall: (name: string, purge: boolean) => Promise<unknown>;
  /** Counts requests in flight so shutdown can drain them. */
  readonly inFlight: { count: number };
  readonly isShuttingDown: () => boolean;
}

/** The host's routes; serve them through HostMiddleware.wrap(app.fetch), which sets `c.env.exchange`. */
export function createApp(deps: AppDependencies): Hono<{ Bindings: HostBindings }> {
  const app = new Hono<{ Bindings: HostBindings }>();

  app.get("/health", (c) => {
    const report = deps.health();
    return c.json(report, report.status === "stopping" ? 503 : 200);
  });

  app.get("/health/plugins/:name", (c) => {
    const plugin = deps.health().plugins.find((p) => p.name === c.req.param("name"));
    if (plugin === undefined) return sendError(c.env, notFound(c.req.param("name")));
    return c.json(plugin, plugin.state === "ready" ? 200 : 503);
  });

  app.route("/admin", createAdminApp({ token: deps.adminToken, health: deps.health, lookup: deps.lookup, uninstall: deps.uninstall }));

  const toPlugin = async (c: { req: { param(name: "name"): string }; env: HostBindings }) => {
    const { incoming, outgoing, exchange } = c.env;
    if (deps.isShuttingDown()) {
      return sendError(c.env, new CorralError(ErrorCode.SHUTTING_DOWN, "the host is shutting down; retry on another instance"));
    }
    deps.inFlight.count++;
    try {
      await forward(c.req.param("name"), incoming, outgoing, deps.lookup, deps.log, exchange.context, exchange);
    } finally {
      deps.inFlight.count--;
    }
    return RESPONSE_ALREADY_SENT;
  };
  app.all("/plugins/:name", toPlugin);
  app.all("/plugins/:name/*", toPlugin);

  app.notFound((c) => sendError(c.env, new CorralError(ErrorCode.PLUGIN_NOT_FOUND,
    `nothing is served at ${c.req.path}; plugins are mounted at /plugins/<name>/ and the host's status is at /health`)));
  // Middleware refusals (e.g. the admin API's bearer check) carry their own response.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (!(error instanceof CorralError)) deps.log.error("internal error", { path: c.req.path, error: error.stack ?? String(error) });
    return sendError(c.env, error);
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
