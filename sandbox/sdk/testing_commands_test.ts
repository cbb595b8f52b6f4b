/** Tests of testPlugin()'s command(): what a plugin author uses to test a CLI command. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { ErrorCode } from "../../schemas/errors.ts";
import { definePlugin, type PluginEnv } from "./mod.ts";
import { testPlugin } from "./testing.ts";

const plugin = definePlugin({
  app: new Hono<PluginEnv>(),
  commands: {
    greet: {
      description: "Greets each name",
      run(args, io, ctx) {
        if (args.length === 0) {
          io.stderr("usage: greet <name>...\n");
          return 2;
        }
        for (const name of args) io.stdout(`${ctx.config.greeting ?? "Hello"}, ${name}!\n`);
        ctx.log.info("greeted", { count: args.length });
      },
    },
    fail: { run: () => { throw new Error("nothing to do"); } },
    remember: {
      async run(args, io, ctx) {
        const previous = await ctx.cache.get<string>("last");
        await ctx.cache.set("last", args[0] ?? "");
        io.stdout(`previous: ${previous ?? "none"}\n`);
      },
    },
  },
});

Deno.test("testPlugin: command() captures stdout, stderr and the exit code", async () => {
  await using running = await testPlugin(plugin, { config: { greeting: "Hi" } });
  deepStrictEqual(await running.command("greet", ["Ada", "Grace"]), { exitCode: 0, stdout: "Hi, Ada!\nHi, Grace!\n", stderr: "" });
  deepStrictEqual(await running.command("greet"), { exitCode: 2, stdout: "", stderr: "usage: greet <name>...\n" });
  strictEqual(running.logs.at(-1)?.message, "greeted", "the command's logs land in logs too");
});

Deno.test("testPlugin: a throwing command gives exit code 1 and the error's message", async () => {
  await using running = await testPlugin(plugin);
  const result = await running.command("fail");
  strictEqual(result.exitCode, 1);
  strictEqual(result.error?.message, "nothing to do");
});

Deno.test("testPlugin: command() of a command the plugin does not define rejects with CORRAL_E_COMMAND_UNKNOWN", async () => {
  await using running = await testPlugin(plugin);
  await rejects(running.command("purge"), (error: { code?: string; message?: string }) => {
    strictEqual(error.code, ErrorCode.COMMAND_UNKNOWN);
    ok(error.message?.includes("defined: fail, greet, remember"), error.message);
    return true;
  });
});

Deno.test("testPlugin: a command reaches the in-memory cache across runs", async () => {
  await using running = await testPlugin(plugin, { cache: true });
  strictEqual((await running.command("remember", ["one"])).stdout, "previous: none\n");
  strictEqual((await running.command("remember", ["two"])).stdout, "previous: one\n");
});
