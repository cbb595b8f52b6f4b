/** Tests of the `commands.run` entry point: exit codes, errors, arguments, output. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { startPlugin } from "../_internal.ts";
import { definePlugin, type PluginCommands } from "../mod.ts";
import { runCommand } from "./run-command.ts";

async function internals(commands: PluginCommands) {
  const definition = definePlugin({ app: new Hono(), commands });
  const plugin = await startPlugin(definition, { name: "tool", version: "1.2.3", config: { greeting: "hi" }, sink: () => {} });
  return { definition, context: plugin.context, host: { call: () => Promise.resolve(null) } };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

Deno.test("commands.run: runs the named command with its arguments, io and the plugin's context", async () => {
  let seen: { args: readonly string[]; name: string; greeting: unknown } | undefined;
  const plugin = await internals({
    greet: {
      run(args, io, ctx) {
        seen = { args, name: ctx.name, greeting: ctx.config.greeting };
        io.stdout(`${ctx.config.greeting} ${args.join(" ")}\n`);
        io.stderr("done\n");
      },
    },
  });
  const { io, out, err } = capture();
  deepStrictEqual(await runCommand(plugin, { command: "greet", args: ["a", "--b"] }, io), { exitCode: 0 });
  deepStrictEqual(out, ["hi a --b\n"]);
  deepStrictEqual(err, ["done\n"]);
  deepStrictEqual(seen, { args: ["a", "--b"], name: "tool", greeting: "hi" });
  ok(Object.isFrozen(seen!.args), "the arguments are frozen");
});

Deno.test("commands.run: the returned number is the exit code, sync or async", async () => {
  const plugin = await internals({
    three: { run: () => 3 },
    zero: { run: () => 0 },
    later: { run: async () => 255 },
  });
  strictEqual((await runCommand(plugin, { command: "three", args: [] }, capture().io)).exitCode, 3);
  strictEqual((await runCommand(plugin, { command: "zero", args: [] }, capture().io)).exitCode, 0);
  strictEqual((await runCommand(plugin, { command: "later", args: [] }, capture().io)).exitCode, 255);
});

Deno.test("commands.run: a throw is exit code 1 with the message, and the stack for --verbose", async () => {
  const plugin = await internals({
    boom: { run: () => { throw new Error("no notes to export"); } },
    reject: { run: () => Promise.reject("plain string") },
  });
  const result = await runCommand(plugin, { command: "boom", args: [] }, capture().io);
  strictEqual(result.exitCode, 1);
  strictEqual(result.error?.message, "no notes to export");
  ok(result.error?.stack?.includes("run-command_test.ts"), "the stack points at the command");
  deepStrictEqual(await runCommand(plugin, { command: "reject", args: [] }, capture().io), { exitCode: 1, error: { message: "plain string" } });
});

Deno.test("commands.run: a return value that is not an exit code fails the command with a message saying so", async () => {
  for (const bad of [256, -1, 1.5, "0", true, null]) {
    const plugin = await internals({ odd: { run: () => bad as unknown as number } });
    const result = await runCommand(plugin, { command: "odd", args: [] }, capture().io);
    strictEqual(result.exitCode, 1, String(bad));
    ok(result.error?.message.includes("return an integer exit code from 0 to 255"), result.error?.message);
  }
});

Deno.test("commands.run: a command the code does not define is CORRAL_E_COMMAND_UNKNOWN listing the defined ones", async () => {
  const plugin = await internals({ export: { run: () => {} }, import: { run: () => {} } });
  await rejects(runCommand(plugin, { command: "purge", args: [] }, capture().io), (error: unknown) => {
    ok(error instanceof CorralError);
    strictEqual(error.code, ErrorCode.COMMAND_UNKNOWN);
    ok(error.message.includes('"purge"') && error.message.includes("defined: export, import"), error.message);
    return true;
  });
  // Not an own property: inherited names are no commands.
  await rejects(runCommand(plugin, { command: "toString", args: [] }, capture().io), /no command "toString"/);
});

Deno.test("commands.run: a malformed payload is a TypeError naming the expected shape", async () => {
  const plugin = await internals({ x: { run: () => {} } });
  for (const payload of [null, { command: "x" }, { command: 1, args: [] }, { command: "x", args: [1] }]) {
    await rejects(runCommand(plugin, payload, capture().io), /expects \{ command: string, args: string\[\] \}/);
  }
});
