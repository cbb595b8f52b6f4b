/**
 * The admin API's router: each feature registers its routes with the permission they need, and
 * the router checks the caller before the handler runs. Routes that change something (any method
 * but GET/HEAD) are recorded in the audit log here, once, with their outcome: handlers do not
 * write audit rows themselves (they may add details with `c.set("auditDetails", ...)`).
 */
import { Hono } from "hono";
import type { Context, Handler } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { AuditSink } from "../../admin/audit-log.ts";
import { auditDetails } from "../../admin/audit-log.ts";
import { errorAnswer } from "../error-response.ts";
import type { AdminPermission, AdminRole } from "./permissions.ts";
import { ROLE_PERMISSIONS } from "./permissions.ts";

/** Who is calling, once authenticated. */
export interface AdminCaller {
  readonly name: string;
  readonly role: AdminRole;
  /** How they proved it: the bootstrap token, an API token, or a dashboard session cookie. */
  readonly via?: "bootstrap" | "token" | "session";
  /** With `via: "session"`: the CSRF token the dashboard's forms carry. */
  readonly csrfToken?: string;
}

export type AdminEnv = {
  Bindings: HttpBindings;
  Variables: { caller: AdminCaller; auditDetails?: Record<string, unknown> };
};
export type AdminHandler = Handler<AdminEnv>;

/**
 * Finds the caller behind a request, or null when it is not authenticated. May throw a
 * CorralError (e.g. CORRAL_E_CSRF) to refuse the request outright.
 */
export type Authenticate = (c: Context<AdminEnv>) => Promise<AdminCaller | null> | AdminCaller | null;

export interface AdminRouter {
  get(path: string, permission: AdminPermission, handler: AdminHandler): void;
  post(path: string, permission: AdminPermission, handler: AdminHandler): void;
  delete(path: string, permission: AdminPermission, handler: AdminHandler): void;
  /**
   * Routes anyone may call, without authentication (the dashboard's login page). The router
   * does not audit them: a login handler records its own outcome.
   */
  readonly open: {
    get(path: string, handler: AdminHandler): void;
    post(path: string, handler: AdminHandler): void;
  };
}

/** Registers a feature's admin routes. */
export type AdminRoutes = (router: AdminRouter) => void;

export interface AdminRouterOptions {
  readonly authenticate: Authenticate;
  /** Where change records go; nothing is recorded when missing. */
  readonly audit?: AuditSink;
  /** Told when an audit row could not be written (the change itself stands). */
  readonly onAuditError?: (error: unknown) => void;
  /**
   * Answers a refused request (401, 403) differently from the JSON error, e.g. the dashboard
   * redirecting a browser to its login page; undefined keeps the JSON error.
   */
  readonly refuse?: (c: Context<AdminEnv>, error: CorralError, status: number) => Response | undefined;
}

const NOT_AUTHENTICATED = "send Authorization: Bearer <token> (an API token, or the bootstrap token in CORRAL_ADMIN_TOKEN or " +
  "<data dir>/admin-token), or sign in to the dashboard at /admin/ui/login";

export function createAdminRouter(options: Authenticate | AdminRouterOptions): { app: Hono<AdminEnv>; router: AdminRouter } {
  const { authenticate, audit, onAuditError, refuse } = typeof options === "function" ? { authenticate: options } as AdminRouterOptions : options;
  const app = new Hono<AdminEnv>();

  const record = async (c: Context<AdminEnv>, caller: AdminCaller | null, details: Record<string, unknown>, status: number) => {
    if (audit === undefined) return;
    try {
      await audit.record({
        actor: caller?.name ?? null,
        role: caller?.role ?? null,
        action: `${c.req.method} ${c.req.routePath}`,
        // `:name` is a plugin only under /plugins/ (under /access/users/ it is a user, kept in details).
        plugin: c.req.routePath.includes("/plugins/:name") ? c.req.param("name") ?? null : null,
        details: { ...details, ...c.get("auditDetails") },
        status,
        address: c.env?.incoming?.socket.remoteAddress ?? null,
        requestId: c.req.header("x-request-id") ?? null,
      });
    } catch (error) {
      onAuditError?.(error);
    }
  };

  const guard = (permission: AdminPermission): AdminHandler => async (c, next) => {
    const changes = c.req.method !== "GET" && c.req.method !== "HEAD";
    const details = changes ? await requestDetails(c) : {};
    const refused = async (error: CorralError, status: number, caller: AdminCaller | null) => {
      if (changes) await record(c, caller, { ...details, refused: error.message }, status);
      return refuse?.(c, error, status) ?? fail(error, status);
    };
    let caller: AdminCaller | null;
    try {
      caller = await authenticate(c);
    } catch (error) {
      if (!(error instanceof CorralError)) throw error;
      return refused(error, errorAnswer(error).status, null);
    }
    if (caller === null) return refused(new CorralError(ErrorCode.ADMIN_AUTH, NOT_AUTHENTICATED), 401, null);
    if (!ROLE_PERMISSIONS[caller.role].includes(permission)) {
      return refused(new CorralError(ErrorCode.ADMIN_FORBIDDEN,
        `${caller.name} has the ${caller.role} role, which lacks the "${permission}" permission that ${c.req.method} ${c.req.routePath} needs; ` +
          `roles with it: ${rolesWith(permission).join(", ")}`), 403, caller);
    }
    c.set("caller", caller);
    await next();
    if (changes) await record(c, caller, details, c.error === undefined ? c.res.status : 500);
  };
  const router: AdminRouter = {
    get: (path, permission, handler) => void app.get(path, guard(permission), handler),
    post: (path, permission, handler) => void app.post(path, guard(permission), handler),
    delete: (path, permission, handler) => void app.delete(path, guard(permission), handler),
    open: {
      get: (path, handler) => void app.get(path, handler),
      post: (path, handler) => void app.post(path, handler),
    },
  };
  return { app, router };
}

/** The roles that have `permission`, for refusal messages. */
export function rolesWith(permission: AdminPermission): AdminRole[] {
  return (Object.keys(ROLE_PERMISSIONS) as AdminRole[]).filter((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** An error as the admin API answers it: JSON `{ error: { code, message } }`. */
export function fail(error: unknown, status?: number): Response {
  const answer = errorAnswer(error);
  return new Response(answer.body, { status: status ?? answer.status, headers: answer.headers });
}

/**
 * The request's path parameters, query and body fields for the audit log, secrets redacted. The body is read
 * through Hono's cache, so the handler can still read it.
 */
async function requestDetails(c: Context<AdminEnv>): Promise<Record<string, unknown>> {
  // Path parameters first (the user or token a route acts on), then the query and the body.
  const fields: Record<string, unknown> = { ...c.req.param(), ...c.req.query() };
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  try {
    if (type === "application/json") {
      const body: unknown = await c.req.json();
      if (typeof body === "object" && body !== null && !Array.isArray(body)) Object.assign(fields, body);
    } else if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") {
      for (const [key, value] of Object.entries(await c.req.parseBody())) if (typeof value === "string") fields[key] = value;
    }
  } catch {
    fields.body = "(not readable as " + type + ")";
  }
  return auditDetails(fields);
}
