/**
 * The admin API under /admin, behind a bearer token: every plugin's state and grants, and
 * operator actions on a plugin's migrations (status, apply, undo one step).
 */
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { HttpBindings } from "@hono/node-server";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { MigrateAction } from "../../schemas/messages.ts";
import type { HealthReport } from "../health.ts";
import type { Supervisor } from "../supervisor.ts";
import { errorAnswer } from "./error-response.ts";

export interface AdminDependencies {
  readonly token: string;
  /** Stops, unloads and moves away a plugin; drops its database with `purge`. */
  readonly uninstall: (name: string, purge: boolean) => Promise<unknown>;
  readonly health: () => HealthReport;
  readonly lookup: (name: string) => Supervisor | undefined;
}

export function createAdminApp(deps: AdminDependencies): Hono<{ Bindings: HttpBindings }> {
  const admin = new Hono<{ Bindings: HttpBindings }>();
  admin.use("*", bearerAuth({
    token: deps.token,
    noAuthenticationHeaderMessage: { error: { code: ErrorCode.ADMIN_AUTH, message: "send Authorization: Bearer <token>; the token is in CORRAL_ADMIN_TOKEN or <data dir>/admin-token" } },
    invalidTokenMessage: { error: { code: ErrorCode.ADMIN_AUTH, message: "the admin token is wrong" } },
    invalidAuthenticationHeaderMessage: { error: { code: ErrorCode.ADMIN_AUTH, message: "the Authorization header must be 'Bearer <token>'" } },
  }));

  admin.get("/plugins", (c) => {
    const { plugins, invalid } = deps.health();
    return c.json({ plugins, invalid });
  });

  admin.get("/plugins/:name", (c) => {
    const plugin = deps.health().plugins.find((p) => p.name === c.req.param("name"));
    return plugin === undefined ? fail(notInstalled(c.req.param("name"))) : c.json(plugin);
  });

  const migrate = (action: MigrateAction) => async (c: { req: { param(name: "name"): string }; json(value: unknown): Response }) => {
    const supervisor = deps.lookup(c.req.param("name"));
    if (supervisor === undefined) return fail(notInstalled(c.req.param("name")));
    try {
      return c.json(await supervisor.migrate(action));
    } catch (error) {
      return fail(error);
    }
  };
  // An unknown name is refused by `uninstall` itself (PLUGIN_NOT_FOUND, 404).
  admin.post("/plugins/:name/uninstall", async (c) => {
    try {
      return c.json(await deps.uninstall(c.req.param("name"), c.req.query("purge") === "true"));
    } catch (error) {
      return fail(error);
    }
  });

  admin.get("/plugins/:name/migrations", migrate("status"));
  admin.post("/plugins/:name/migrations/latest", migrate("latest"));
  admin.post("/plugins/:name/migrations/down", migrate("down"));
  return admin;
}

function notInstalled(name: string): CorralError {
  return new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
}

function fail(error: unknown): Response {
  const answer = errorAnswer(error);
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
