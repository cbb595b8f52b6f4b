/**
 * The admin API under /admin: each feature's routes behind one authentication and permission check.
 */
import { timingSafeEqual } from "node:crypto";
import type { Hono } from "hono";
import type { AdminCaller, AdminEnv, AdminRoutes, Authenticate } from "./router.ts";
import { createAdminRouter } from "./router.ts";

/**
 * The bootstrap token (CORRAL_ADMIN_TOKEN or <data dir>/admin-token) authenticates as the
 * built-in "bootstrap" admin.
 */
export function bootstrapTokenAuth(token: string): Authenticate {
  const expected = Buffer.from(token);
  const caller: AdminCaller = { name: "bootstrap", role: "admin" };
  return (c) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match === null) return null;
    const given = Buffer.from(match[1]!);
    return given.length === expected.length && timingSafeEqual(given, expected) ? caller : null;
  };
}

export function createAdminApp(authenticate: Authenticate, routes: readonly AdminRoutes[]): Hono<AdminEnv> {
  const { app, router } = createAdminRouter(authenticate);
  for (const register of routes) register(router);
  return app;
}
