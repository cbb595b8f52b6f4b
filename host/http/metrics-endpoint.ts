/**
 * GET /metrics: the Prometheus exposition of the host's metrics (host/metrics/host-metrics.ts).
 * Who may read it is the operator's choice (CORRAL_METRICS, host/metrics/metrics-access.ts): by
 * default the same bearer credentials as the admin API, with the `observe.read` permission.
 */
import { Hono } from "hono";
import type { HostMetrics } from "../metrics/host-metrics.ts";
import type { MetricsAccess } from "../metrics/metrics-access.ts";
import { createAdminRouter } from "./admin/router.ts";
import type { AdminEnv, AdminHandler, Authenticate } from "./admin/router.ts";

/** The app to mount at /metrics; undefined when access is "off" (then /metrics is a 404 like any unknown path). */
export function metricsEndpoint(metrics: HostMetrics, access: MetricsAccess, authenticate: Authenticate): Hono<AdminEnv> | undefined {
  if (access === "off") return undefined;
  const scrape: AdminHandler = async (c) => {
    const { contentType, body } = await metrics.scrape();
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  };
  if (access === "public") {
    const app = new Hono<AdminEnv>();
    app.get("/", scrape);
    return app;
  }
  const { app, router } = createAdminRouter(authenticate);
  router.get("/", "observe.read", scrape);
  return app;
}
