/**
 * The admin API under /admin: each feature's routes behind one authentication and permission
 * check, with changes recorded in the audit log by the router.
 */
import type { Hono } from "hono";
import type { AdminEnv, AdminRouterOptions, AdminRoutes, Authenticate } from "./router.ts";
import { createAdminRouter } from "./router.ts";
import { createAuthenticate } from "./authenticate.ts";

/**
 * The bootstrap token (CORRAL_ADMIN_TOKEN or <data dir>/admin-token) alone: the built-in
 * "bootstrap" admin. For tests and hosts without the access tables; see createAuthenticate.
 */
export function bootstrapTokenAuth(token: string): Authenticate {
  return createAuthenticate({ bootstrapToken: token });
}

export function createAdminApp(options: Authenticate | AdminRouterOptions, routes: readonly AdminRoutes[]): Hono<AdminEnv> {
  const { app, router } = createAdminRouter(options);
  for (const register of routes) register(router);
  return app;
}
