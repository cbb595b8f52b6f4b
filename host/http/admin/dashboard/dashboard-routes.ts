/**
 * The dashboard at /admin/ui/: server-rendered pages for signing in, the plugins (state, grants,
 * health, limits, recent errors, traffic charts) and their actions, access management and the
 * audit log. Its routes go through the admin router like the JSON API's, so each page and action
 * needs the same permission, and each action is audited once, there. Forms carry the session's
 * CSRF token (checked by authenticate.ts); the login form its own double-submit token.
 */
import type { TLSSocket } from "node:tls";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { CorralError, ErrorCode } from "../../../../schemas/errors.ts";
import type { AccessStore } from "../../../admin/access-store.ts";
import { SESSION_TTL_MS } from "../../../admin/access-store.ts";
import type { AuditLog, AuditSink } from "../../../admin/audit-log.ts";
import { parseAuditQuery } from "../../../admin/audit-log.ts";
import type { LogRing } from "../../../admin/log-ring.ts";
import type { LoginLimiter } from "../../../admin/login-limiter.ts";
import type { RequestSeries } from "../../../metrics/request-series.ts";
import type { HealthReport } from "../../../health.ts";
import type { Actor, PluginOperations } from "../../../manager/operations.ts";
import { errorAnswer } from "../../error-response.ts";
import { crossSiteReason, newCsrfToken, tokensMatch } from "../../middleware/csrf.ts";
import { SESSION_COOKIE } from "../authenticate.ts";
import type { AdminPermission } from "../permissions.ts";
import { ROLE_PERMISSIONS } from "../permissions.ts";
import type { AdminCaller, AdminEnv, AdminRoutes } from "../router.ts";
import { latencyChart, requestRateChart } from "./charts.ts";
import { renderPage } from "./views.ts";
import type { PageName } from "./views.ts";

export const DASHBOARD_PATH = "/admin/ui";
/** The login form's double-submit cookie (before there is a session to bind a token to). */
const LOGIN_CSRF_COOKIE = "corral_admin_login";
const RECENT_ERRORS_IN_LIST = 3;

export interface DashboardDependencies {
  readonly health: () => HealthReport;
  readonly store: AccessStore;
  readonly audit: AuditSink & Pick<AuditLog, "list">;
  readonly ring: LogRing;
  readonly limiter: LoginLimiter;
  /** Request rate and latency per plugin (host/metrics/request-series.ts); charts are empty without it. */
  readonly series: RequestSeries;
  /** Enable, disable, restart, versions, activate (the plugin manager); no action buttons without it. */
  readonly operations?: PluginOperations;
  /** Origins other than the Host that may post the login form (the policy's http.csrf.trustedOrigins). */
  readonly trustedOrigins?: readonly string[];
}

const DONE: Readonly<Record<string, string>> = {
  enabled: "enabled", disabled: "disabled", restarted: "restarted", activated: "switched version",
};

export function dashboardRoutes(deps: DashboardDependencies): AdminRoutes {
  return (router) => {
    router.open.get("/ui", (c) => c.redirect(`${DASHBOARD_PATH}/`, 303));
    router.open.get("/ui/login", (c) => loginPage(c, 200));
    router.open.post("/ui/login", (c) => login(c, deps));

    router.post("/ui/logout", "plugins.read", async (c) => {
      const sessionId = getCookie(c, SESSION_COOKIE);
      if (sessionId !== undefined) await deps.store.closeSession(sessionId);
      c.header("set-cookie", sessionCookie(c, "", 0));
      return c.redirect(`${DASHBOARD_PATH}/login`, 303);
    });

    router.get("/ui/", "plugins.read", (c) => {
      const report = deps.health();
      const plugins = report.plugins.map((plugin) => ({
        ...plugin,
        recentErrors: can(c, "observe.read") ? deps.ring.recent(plugin.name, { level: "error", limit: RECENT_ERRORS_IN_LIST }) : [],
      }));
      return html(c, "plugins", {
        title: "Plugins", plugins, invalid: report.invalid, notice: doneNotice(c), operationsAvailable: deps.operations !== undefined,
        updates: report.updates === undefined ? undefined : { ...report.updates, listed: report.updates.plugins.filter((p) => p.latest !== null || p.advisories.length > 0) },
      });
    });

    router.get("/ui/plugins/:name", "plugins.read", async (c) => pluginPage(c, deps, 200));

    const operate = (action: "enable" | "disable" | "restart", done: string) => async (c: Context<AdminEnv>) => {
      const name = c.req.param("name") ?? "";
      if (deps.operations === undefined) return pluginPage(c, deps, 501, "this host runs without the plugin manager; actions are not available");
      const form = await c.req.parseBody();
      try {
        const ops = deps.operations;
        const actor = actorOf(c.get("caller"));
        if (action === "disable") {
          const dependents = form.dependents === "disable" || form.dependents === "keep" ? form.dependents : undefined;
          await ops.disable(name, actor, dependents === undefined ? {} : { dependents });
        } else await ops[action](name, actor);
      } catch (error) {
        // Disabling a plugin others need: the page offers the two choices the manager accepts.
        const dependentsChoice = error instanceof CorralError && error.code === ErrorCode.HAS_DEPENDENTS;
        return pluginPage(c, deps, errorAnswer(error).status, messageOf(error), { dependentsChoice });
      }
      return c.redirect(`${DASHBOARD_PATH}/plugins/${encodeURIComponent(name)}?done=${done}`, 303);
    };
    router.post("/ui/plugins/:name/enable", "plugins.operate", operate("enable", "enabled"));
    router.post("/ui/plugins/:name/disable", "plugins.operate", operate("disable", "disabled"));
    router.post("/ui/plugins/:name/restart", "plugins.operate", operate("restart", "restarted"));
    router.post("/ui/plugins/:name/activate", "plugins.manage", async (c) => {
      const name = c.req.param("name") ?? "";
      if (deps.operations === undefined) return pluginPage(c, deps, 501, "this host runs without the plugin manager; actions are not available");
      const form = await c.req.parseBody();
      try {
        if (typeof form.version !== "string" || form.version === "") throw new CorralError(ErrorCode.OPERATION_INVALID, "choose a version to switch to");
        await deps.operations.activate(name, form.version, actorOf(c.get("caller")), { undoMigrations: form.undoMigrations === "true" });
      } catch (error) {
        return pluginPage(c, deps, errorAnswer(error).status, messageOf(error));
      }
      return c.redirect(`${DASHBOARD_PATH}/plugins/${encodeURIComponent(name)}?done=activated`, 303);
    });

    router.get("/ui/access", "access.manage", async (c) => accessPage(c, deps, 200));
    const accessAction = (run: (c: Context<AdminEnv>, form: Record<string, unknown>) => Promise<Record<string, unknown> | void>) =>
      async (c: Context<AdminEnv>) => {
        const form = await c.req.parseBody();
        try {
          const shown = await run(c, form);
          if (shown !== undefined) return accessPage(c, deps, 201, undefined, shown);
        } catch (error) {
          return accessPage(c, deps, errorAnswer(error).status, messageOf(error));
        }
        return c.redirect(`${DASHBOARD_PATH}/access`, 303);
      };
    router.post("/ui/access/users", "access.manage", accessAction(async (c, form) => {
      await deps.store.createUser({ name: form.name, role: form.role, password: form.password }, c.get("caller").name);
    }));
    router.post("/ui/access/users/:name/role", "access.manage", accessAction(async (c, form) => {
      await deps.store.setRole(c.req.param("name") ?? "", form.role);
    }));
    router.post("/ui/access/users/:name/delete", "access.manage", accessAction(async (c) => {
      await deps.store.deleteUser(c.req.param("name") ?? "");
    }));
    router.post("/ui/access/tokens", "access.manage", accessAction(async (c, form) => {
      const { token, info } = await deps.store.createToken(
        { name: form.name, role: form.role, owner: form.owner, expiresInDays: form.expiresInDays }, c.get("caller").name);
      c.set("auditDetails", { tokenId: info.id });
      return { newToken: { ...info, token } };
    }));
    router.post("/ui/access/tokens/:id/revoke", "access.manage", accessAction(async (c) => {
      await deps.store.revokeToken(c.req.param("id") ?? "");
    }));

    router.get("/ui/audit", "access.manage", async (c) => {
      const params = c.req.query();
      try {
        const query = parseAuditQuery({ ...params, outcome: params.outcome || undefined, limit: params.limit ?? "100" });
        const page = await deps.audit.list(query);
        const older = new URLSearchParams({ ...params, before: page.next ?? "" });
        return html(c, "audit", {
          title: "Audit log", ...page, query: params, filtered: Object.keys(params).length > 0,
          olderLink: `${DASHBOARD_PATH}/audit?${older.toString()}`,
        });
      } catch (error) {
        return html(c, "audit", { title: "Audit log", entries: [], query: params, error: messageOf(error) }, errorAnswer(error).status);
      }
    });
  };
}

/**
 * How the router answers a refused dashboard request: a browser that is not signed in goes to
 * the login page; a signed-in one that lacks the permission, or failed the CSRF check, gets an
 * HTML page saying so. Other admin routes keep their JSON errors (undefined).
 */
export function refuseDashboard(c: Context<AdminEnv>, error: CorralError, status: number): Response | undefined {
  if (!c.req.path.startsWith(`${DASHBOARD_PATH}/`)) return undefined;
  if (status === 401) {
    const next = c.req.method === "GET" ? c.req.path : `${DASHBOARD_PATH}/`;
    return c.redirect(`${DASHBOARD_PATH}/login?next=${encodeURIComponent(next)}`, 303);
  }
  const heading = error.code === ErrorCode.CSRF ? "Request refused" : "Not allowed";
  return c.html(renderPage("refused", { title: heading, heading, message: error.message }), status as 403);
}

async function login(c: Context<AdminEnv>, deps: DashboardDependencies): Promise<Response> {
  const form = await c.req.parseBody();
  const name = typeof form.name === "string" ? form.name.trim().slice(0, 100) : "";
  const password = typeof form.password === "string" ? form.password : "";
  const next = safeNext(form.next);
  const address = c.env?.incoming?.socket.remoteAddress ?? "unknown";
  const record = (status: number, outcome: string) => deps.audit.record({
    actor: name === "" ? null : name, role: null, action: "POST /admin/ui/login", plugin: null,
    details: { outcome }, status, address, requestId: c.req.header("x-request-id") ?? null,
  });

  const crossSite = c.env?.incoming === undefined ? undefined : crossSiteReason(c.env.incoming.headers, deps.trustedOrigins ?? []);
  const cookieToken = getCookie(c, LOGIN_CSRF_COOKIE);
  if (crossSite !== undefined || cookieToken === undefined || !tokensMatch(cookieToken, typeof form._csrf === "string" ? form._csrf : undefined)) {
    await record(403, "refused: the login form's CSRF token was missing or wrong, or it came from another site");
    return loginPage(c, 403, "The sign-in form expired or came from another site; try again.", name);
  }
  const wait = deps.limiter.retryAfterSeconds(name, address);
  if (wait > 0) {
    await record(429, "refused: too many failed logins");
    c.header("retry-after", String(wait));
    return loginPage(c, 429, `Too many failed sign-ins for "${name}" from this address; try again in ${Math.ceil(wait / 60)} minute(s).`, name);
  }
  const principal = name === "" ? null : await deps.store.checkPassword(name, password);
  if (principal === null) {
    deps.limiter.failed(name, address);
    await record(401, "failed: wrong user name or password");
    return loginPage(c, 401, "Wrong user name or password.", name);
  }
  deps.limiter.succeeded(name, address);
  const { sessionId } = await deps.store.openSession(principal.name);
  await deps.audit.record({
    actor: principal.name, role: principal.role, action: "POST /admin/ui/login", plugin: null,
    details: { outcome: "signed in" }, status: 303, address, requestId: c.req.header("x-request-id") ?? null,
  });
  c.header("set-cookie", sessionCookie(c, sessionId, SESSION_TTL_MS / 1000));
  c.header("set-cookie", `${LOGIN_CSRF_COOKIE}=; Path=${DASHBOARD_PATH}/login; HttpOnly; SameSite=Strict; Max-Age=0`, { append: true });
  return c.redirect(next, 303);
}

function loginPage(c: Context<AdminEnv>, status: number, error?: string, name?: string): Response {
  const token = newCsrfToken();
  c.header("set-cookie", `${LOGIN_CSRF_COOKIE}=${token}; Path=${DASHBOARD_PATH}/login; HttpOnly; SameSite=Strict${overTls(c) ? "; Secure" : ""}`);
  c.header("cache-control", "no-store");
  return c.html(renderPage("login", { title: "Sign in", loginCsrf: token, next: safeNext(c.req.query("next")), error, name }), status as 200);
}

async function pluginPage(c: Context<AdminEnv>, deps: DashboardDependencies, status: number, error?: string, extra: Record<string, unknown> = {}): Promise<Response> {
  const name = c.req.param("name") ?? "";
  const plugin = deps.health().plugins.find((p) => p.name === name);
  if (plugin === undefined) {
    return html(c, "refused", { title: "Not found", heading: "No such plugin", message: `no plugin named "${name}" is installed` }, 404);
  }
  let versions: readonly unknown[] = [];
  if (deps.operations !== undefined && can(c, "plugins.manage")) {
    try {
      versions = await deps.operations.versions(name);
    } catch {
      // The page still shows the plugin; the version list is a convenience.
    }
  }
  const points = can(c, "observe.read") ? deps.series.points(name) : [];
  return html(c, "plugin", {
    title: name, plugin, versions, error, notice: doneNotice(c, name), operationsAvailable: deps.operations !== undefined,
    requestChart: requestRateChart(points), latencyChart: latencyChart(points),
    logs: can(c, "observe.read") ? deps.ring.recent(name, { level: "info", limit: 50 }) : [],
    ...extra,
  }, status);
}

async function accessPage(c: Context<AdminEnv>, deps: DashboardDependencies, status: number, error?: string, extra: Record<string, unknown> = {}): Promise<Response> {
  const [users, tokens] = await Promise.all([deps.store.listUsers(), deps.store.listTokens()]);
  const roles = Object.entries(ROLE_PERMISSIONS).map(([name, permissions]) => ({ name, permissions }));
  return html(c, "access", { title: "Access", users, tokens, roles, roleNames: Object.keys(ROLE_PERMISSIONS), error, ...extra }, status);
}

/** Renders a page for the signed-in caller, with what their role lets them see. */
function html(c: Context<AdminEnv>, page: PageName, data: Record<string, unknown>, status = 200): Response {
  const caller = c.get("caller");
  c.header("cache-control", "no-store");
  return c.html(renderPage(page, {
    ...data,
    caller,
    csrfToken: caller?.csrfToken ?? "",
    can: {
      operate: can(c, "plugins.operate"), manage: can(c, "plugins.manage"), access: can(c, "access.manage"), observe: can(c, "observe.read"),
    },
  }), status as 200);
}

function can(c: Context<AdminEnv>, permission: AdminPermission): boolean {
  const caller = c.get("caller");
  return caller !== undefined && ROLE_PERMISSIONS[caller.role].includes(permission);
}

function doneNotice(c: Context<AdminEnv>, name?: string): string | undefined {
  const done = DONE[c.req.query("done") ?? ""];
  return done === undefined ? undefined : `${name === undefined ? "Done" : `"${name}"`}: ${done}.`;
}

function actorOf(caller: AdminCaller): Actor {
  return { name: caller.name, role: caller.role };
}

function messageOf(error: unknown): string {
  return JSON.parse(errorAnswer(error).body).error.message as string;
}

/** Only a dashboard path may be a redirect target after login (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === "string" && value.startsWith(`${DASHBOARD_PATH}/`) && !value.includes("//") && !value.includes("\\") ? value : `${DASHBOARD_PATH}/`;
}

function overTls(c: Context<AdminEnv>): boolean {
  return (c.env?.incoming?.socket as TLSSocket | undefined)?.encrypted === true;
}

function sessionCookie(c: Context<AdminEnv>, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${overTls(c) ? "; Secure" : ""}`;
}
