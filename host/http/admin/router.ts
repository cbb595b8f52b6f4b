/**
 * The admin API's router: each feature registers its routes with the permission they need, and
 * the router checks the caller before the handler runs. Routes that change something (any method
 * but GET/HEAD) are the ones the audit log records.
 */
import { Hono } from "hono";
import type { Context, Handler } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { errorAnswer } from "../error-response.ts";
import type { AdminPermission, AdminRole } from "./permissions.ts";
import { ROLE_PERMISSIONS } from "./permissions.ts";

/** Who is calling, once authenticated. */
export interface AdminCaller {
  readonly name: string;
  readonly role: AdminRole;
}

export type AdminEnv = { Bindings: HttpBindings; Variables: { caller: AdminCaller } };
export type AdminHandler = Handler<AdminEnv>;

/** Finds the caller behind a request, or null when it is not authenticated. */
export type Authenticate = (c: Context<AdminEnv>) => Promise<AdminCaller | null> | AdminCaller | null;

export interface AdminRouter {
  get(path: string, permission: AdminPermission, handler: AdminHandler): void;
  post(path: string, permission: AdminPermission, handler: AdminHandler): void;
  delete(path: string, permission: AdminPermission, handler: AdminHandler): void;
}

/** Registers a feature's admin routes. */
export type AdminRoutes = (router: AdminRouter) => void;

export function createAdminRouter(authenticate: Authenticate): { app: Hono<AdminEnv>; router: AdminRouter } {
  const app = new Hono<AdminEnv>();
  const guard = (permission: AdminPermission): AdminHandler => async (c, next) => {
    const caller = await authenticate(c);
    if (caller === null) {
      return fail(new CorralError(ErrorCode.ADMIN_AUTH,
        "send Authorization: Bearer <token>; the bootstrap token is in CORRAL_ADMIN_TOKEN or <data dir>/admin-token"), 401);
    }
    if (!ROLE_PERMISSIONS[caller.role].includes(permission)) {
      return fail(new CorralError(ErrorCode.ADMIN_AUTH, `the ${caller.role} role lacks "${permission}"`), 403);
    }
    c.set("caller", caller);
    await next();
  };
  const router: AdminRouter = {
    get: (path, permission, handler) => void app.get(path, guard(permission), handler),
    post: (path, permission, handler) => void app.post(path, guard(permission), handler),
    delete: (path, permission, handler) => void app.delete(path, guard(permission), handler),
  };
  return { app, router };
}

/** An error as the admin API answers it: JSON `{ error: { code, message } }`. */
export function fail(error: unknown, status?: number): Response {
  const answer = errorAnswer(error);
  return new Response(answer.body, { status: status ?? answer.status, headers: answer.headers });
}
