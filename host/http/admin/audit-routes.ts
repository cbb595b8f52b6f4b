/** `GET /admin/audit`: the audit log, newest first, with paging and filters (permission `access.manage`). */
import type { AuditLog } from "../../admin/audit-log.ts";
import { parseAuditQuery } from "../../admin/audit-log.ts";
import type { AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export function auditRoutes(audit: AuditLog): AdminRoutes {
  return (router) => {
    router.get("/audit", "access.manage", async (c) => {
      try {
        return c.json(await audit.list(parseAuditQuery(c.req.query())));
      } catch (error) {
        return fail(error);
      }
    });
  };
}
