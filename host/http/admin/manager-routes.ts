/**
 * Admin routes of the plugin manager: enable, disable, restart (plugins.operate); list versions
 * (plugins.read); install a version, activate one (plugins.manage). Each answers the operation's
 * result, or the error that refused it.
 */
import type { Context } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { Actor, PluginOperations } from "../../manager/operations.ts";
import { pluginName } from "./plugin-routes.ts";
import type { AdminEnv, AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export function managerRoutes(operations: PluginOperations): AdminRoutes {
  return (router) => {
    const run = (work: (c: Context<AdminEnv>, body: Record<string, unknown>, actor: Actor) => Promise<unknown>) =>
      async (c: Context<AdminEnv>) => {
        try {
          const body = await jsonBody(c);
          const caller = c.get("caller");
          return c.json(await work(c, body, { name: caller.name, role: caller.role }));
        } catch (error) {
          return fail(error);
        }
      };

    router.post("/plugins/install", "plugins.manage", run((_c, body, actor) =>
      operations.install(field(body, "path", "string", true) as string, actor)));
    router.post("/plugins/:name/enable", "plugins.operate", run((c, _body, actor) => operations.enable(pluginName(c), actor)));
    router.post("/plugins/:name/disable", "plugins.operate", run((c, body, actor) => {
      const dependents = field(body, "dependents", "string", false) as "disable" | "keep" | undefined;
      const reason = field(body, "reason", "string", false) as string | undefined;
      return operations.disable(pluginName(c), actor, {
        ...(dependents === undefined ? {} : { dependents }),
        ...(reason === undefined ? {} : { reason }),
      });
    }));
    router.post("/plugins/:name/restart", "plugins.operate", run((c, _body, actor) => operations.restart(pluginName(c), actor)));
    router.get("/plugins/:name/versions", "plugins.read", async (c) => {
      try {
        return c.json({ name: pluginName(c), versions: await operations.versions(pluginName(c)) });
      } catch (error) {
        return fail(error);
      }
    });
    router.post("/plugins/:name/activate", "plugins.manage", run((c, body, actor) =>
      operations.activate(pluginName(c), field(body, "version", "string", true) as string, actor,
        { undoMigrations: field(body, "undoMigrations", "boolean", false) === true })));
  };
}

/** The request's JSON object; an empty body is `{}`. */
async function jsonBody(c: Context<AdminEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorralError(ErrorCode.OPERATION_INVALID, `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CorralError(ErrorCode.OPERATION_INVALID, "the request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function field(body: Record<string, unknown>, name: string, type: "string" | "boolean", required: boolean): unknown {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== type) {
    throw new CorralError(ErrorCode.OPERATION_INVALID, `"${name}" must be a ${type}${required ? " (required)" : ""}, got ${JSON.stringify(value) ?? "nothing"}`);
  }
  return value;
}
