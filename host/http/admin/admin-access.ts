/**
 * The admin API's access features wired together for host/http/app.ts: one authentication
 * (bootstrap token, API tokens, dashboard sessions), the audit log in the router, and the routes
 * for access, the audit log, plugin logs and the dashboard.
 */
import type { AccessStore } from "../../admin/access-store.ts";
import type { AuditLog } from "../../admin/audit-log.ts";
import type { LogRing } from "../../admin/log-ring.ts";
import type { LoginLimiter } from "../../admin/login-limiter.ts";
import type { RequestSeries } from "../../metrics/request-series.ts";
import { NO_REQUEST_SERIES } from "../../metrics/request-series.ts";
import type { HealthReport } from "../../health.ts";
import type { Logger } from "../../logger.ts";
import type { PluginOperations } from "../../manager/operations.ts";
import { accessRoutes } from "./access-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { createAuthenticate } from "./authenticate.ts";
import { dashboardRoutes, refuseDashboard } from "./dashboard/dashboard-routes.ts";
import { logsRoutes } from "./logs-routes.ts";
import type { AdminRouterOptions, AdminRoutes } from "./router.ts";

export interface AdminAccess {
  readonly store: AccessStore;
  readonly audit: AuditLog;
  readonly ring: LogRing;
  readonly limiter: LoginLimiter;
  /** The dashboard's charts (host/metrics/request-series.ts); empty charts when missing. */
  readonly series?: RequestSeries;
  /** The dashboard's actions (the plugin manager); none when missing. */
  readonly operations?: PluginOperations;
  /** The policy's http.csrf.trustedOrigins: origins besides the Host that may post dashboard forms. */
  readonly trustedOrigins?: readonly string[];
}

export function adminRouterOptions(bootstrapToken: string, access: AdminAccess | undefined, log: Logger): AdminRouterOptions {
  return {
    authenticate: createAuthenticate({
      bootstrapToken,
      ...(access === undefined ? {} : { store: access.store }),
      ...(access?.trustedOrigins === undefined ? {} : { trustedOrigins: access.trustedOrigins }),
    }),
    ...(access === undefined ? {} : { audit: access.audit }),
    onAuditError: (error) => log.error("could not write the audit log", { error: (error as Error).message }),
    refuse: refuseDashboard,
  };
}

/** The access, audit, logs and dashboard routes; none without `access`. */
export function adminAccessRoutes(access: AdminAccess | undefined, health: () => HealthReport): AdminRoutes[] {
  if (access === undefined) return [];
  return [
    accessRoutes(access.store),
    auditRoutes(access.audit),
    logsRoutes({ ring: access.ring, health }),
    dashboardRoutes({
      health, store: access.store, audit: access.audit, ring: access.ring, limiter: access.limiter,
      series: access.series ?? NO_REQUEST_SERIES,
      ...(access.operations === undefined ? {} : { operations: access.operations }),
      ...(access.trustedOrigins === undefined ? {} : { trustedOrigins: access.trustedOrigins }),
    }),
  ];
}
