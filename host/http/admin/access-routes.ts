/**
 * Admin routes for access: users, API tokens and roles (permission `access.manage`), and the
 * caller's own identity (`GET /admin/access/me`, any role).
 */
import type { Context } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { AccessStore } from "../../admin/access-store.ts";
import { ROLE_PERMISSIONS } from "./permissions.ts";
import type { AdminEnv, AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export function accessRoutes(store: AccessStore): AdminRoutes {
  return (router) => {
    router.get("/access/me", "plugins.read", (c) => {
      const { name, role, via } = c.get("caller");
      return c.json({ name, role, via, permissions: ROLE_PERMISSIONS[role] });
    });
    router.get("/access/roles", "access.manage", (c) => c.json({ roles: ROLE_PERMISSIONS }));

    router.get("/access/users", "access.manage", async (c) => c.json({ users: await store.listUsers() }));
    router.post("/access/users", "access.manage", async (c) => {
      try {
        const body = await jsonBody(c);
        const user = await store.createUser({ name: body.name, role: body.role, password: body.password }, c.get("caller").name);
        return c.json(user, 201);
      } catch (error) {
        return fail(error);
      }
    });
    router.delete("/access/users/:name", "access.manage", async (c) => {
      try {
        await store.deleteUser(param(c, "name"));
        return c.json({ deleted: param(c, "name") });
      } catch (error) {
        return fail(error);
      }
    });
    router.post("/access/users/:name/role", "access.manage", async (c) => {
      try {
        return c.json(await store.setRole(param(c, "name"), (await jsonBody(c)).role));
      } catch (error) {
        return fail(error);
      }
    });
    router.post("/access/users/:name/password", "access.manage", async (c) => {
      try {
        await store.setPassword(param(c, "name"), (await jsonBody(c)).password);
        return c.json({ name: param(c, "name"), message: "password changed; the user's dashboard sessions were closed" });
      } catch (error) {
        return fail(error);
      }
    });

    router.get("/access/tokens", "access.manage", async (c) => c.json({ tokens: await store.listTokens() }));
    router.post("/access/tokens", "access.manage", async (c) => {
      try {
        const body = await jsonBody(c);
        const { token, info } = await store.createToken(
          { name: body.name, role: body.role, owner: body.owner, expiresInDays: body.expiresInDays }, c.get("caller").name);
        c.set("auditDetails", { tokenId: info.id });
        return c.json({ ...info, token, message: "this is the only time the token is shown: store it now" }, 201);
      } catch (error) {
        return fail(error);
      }
    });
    router.delete("/access/tokens/:id", "access.manage", async (c) => {
      try {
        return c.json(await store.revokeToken(param(c, "id")));
      } catch (error) {
        return fail(error);
      }
    });
  };
}

/** The request's JSON object body, or a clear refusal. */
export async function jsonBody(c: Context<AdminEnv>): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new CorralError(ErrorCode.OPERATION_INVALID, `${c.req.method} ${c.req.path} takes a JSON object body (content-type: application/json)`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new CorralError(ErrorCode.OPERATION_INVALID, `${c.req.method} ${c.req.path} takes a JSON object body, got ${Array.isArray(body) ? "an array" : typeof body}`);
  }
  return body as Record<string, unknown>;
}

/** A path parameter of the route (always present on routes that name it). */
function param(c: Context<AdminEnv>, name: string): string {
  return c.req.param(name) ?? "";
}
