/**
 * `GET /admin/plugins/:name/logs?level=&limit=`: a plugin's recent log records, newest first,
 * from the host's in-memory ring (permission `observe.read`).
 */
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { LogRing } from "../../admin/log-ring.ts";
import { LOG_LEVELS } from "../../admin/log-ring.ts";
import type { Level } from "../../logger.ts";
import type { HealthReport } from "../../health.ts";
import { notInstalled, pluginName } from "./plugin-routes.ts";
import type { AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export const LOGS_LIMIT_MAX = 500;

export function logsRoutes(deps: { readonly ring: LogRing; readonly health: () => HealthReport }): AdminRoutes {
  return (router) => {
    router.get("/plugins/:name/logs", "observe.read", (c) => {
      const name = pluginName(c);
      // Health lists disabled, failed and blocked plugins too: their logs say why.
      if (!deps.health().plugins.some((p) => p.name === name)) return fail(notInstalled(name));
      const level = c.req.query("level") ?? "debug";
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        return fail(new CorralError(ErrorCode.OPERATION_INVALID, `?level= must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}`));
      }
      const limit = Number(c.req.query("limit") ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > LOGS_LIMIT_MAX) {
        return fail(new CorralError(ErrorCode.OPERATION_INVALID, `?limit= must be a whole number from 1 to ${LOGS_LIMIT_MAX}, got ${JSON.stringify(c.req.query("limit"))}`));
      }
      return c.json({ plugin: name, level, records: deps.ring.recent(name, { level: level as Level, limit }) });
    });
  };
}
