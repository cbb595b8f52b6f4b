// The hooks benchmark's hook: what an auth plugin does at its cheapest (read a cookie, attach a user).
import { definePlugin } from "@corral/sdk";
import { Hono } from "hono";

export default definePlugin({
  app: new Hono(),
  globalHooks: {
    beforeRequest: (request) => ({ locals: { user: request.cookie("session") ?? "anonymous" } }),
  },
});
