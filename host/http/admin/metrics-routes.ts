/**
 * Admin route for a plugin's recent traffic: the rolling request series the dashboard charts
 * (host/metrics/request-series.ts), as JSON.
 */
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { HealthReport } from "../../health.ts";
import { BUCKET_MS, type RequestSeries, WINDOW_MS } from "../../metrics/request-series.ts";
import { pluginName } from "./plugin-routes.ts";
import type { AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export interface MetricsRoutesDependencies {
  readonly series: RequestSeries;
  readonly health: () => HealthReport;
}

export function metricsRoutes(deps: MetricsRoutesDependencies): AdminRoutes {
  return (router) => {
    /** `{ name, bucketMs, windowMs, points: [{ t, requests, errors, p50Ms, p95Ms }] }`, oldest first. */
    router.get("/plugins/:name/metrics", "observe.read", (c) => {
      const name = pluginName(c);
      if (!deps.health().plugins.some((p) => p.name === name)) {
        return fail(new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed; GET /admin/plugins lists them`));
      }
      return c.json({ name, bucketMs: BUCKET_MS, windowMs: WINDOW_MS, points: deps.series.points(name) });
    });
  };
}
