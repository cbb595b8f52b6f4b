// End to end: `corral run <plugin>:<command>` as a child process, with real plugin processes in
// their sandbox and the real Postgres: output and exit codes pass through, permissions apply,
// and mistakes give clear errors with the documented exit codes.
import { once } from "node:events";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { corral, startCorral } from "../helpers/corral-cli.ts";
import type { CliOptions, CliResult } from "../helpers/corral-cli.ts";
import { FIXTURES } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases, roleOf } from "../helpers/plugin-database.ts";
import { editManifest } from "../helpers/plugin-copy.ts";

const DB_PLUGIN = "cmde2e-db";

interface Context {
  work: string;
  cli: CliOptions;
  granted: Server;
  /** The granted server's ephemeral port, written into the copied cmdtool's net grant. */
  grantedPort: number;
  other: Server;
  otherUrl: string;
  secretFile: string;
  admin: pg.Pool;
  /** Answers the waiting /gate requests of the granted server, and later ones at once. */
  openGate: () => void;
  /** Makes /gate requests wait again. */
  closeGate: () => void;
}

const commands = suite<Context>("commands");

commands.before(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-commands-"));
  const pluginsDir = join(ctx.work, "plugins");
  for (const plugin of ["cmdtool", DB_PLUGIN, "bad-manifest"]) {
    await cp(join(FIXTURES, plugin), join(pluginsDir, plugin), { recursive: true });
  }
  ctx.cli = { pluginsDir, dataDir: join(ctx.work, "data") };
  ctx.secretFile = join(ctx.work, "secret.txt");
  await writeFile(ctx.secretFile, "do not leak this");
  let open = false;
  const waiting: Array<() => void> = [];
  ctx.openGate = () => {
    open = true;
    for (const answer of waiting.splice(0)) answer();
  };
  ctx.closeGate = () => void (open = false);
  ctx.granted = createServer((req, res) => {
    if (req.url !== "/gate") res.end("upstream says hi");
    else if (open) res.end("open");
    else waiting.push(() => res.end("open"));
  });
  ctx.granted.listen(0, "127.0.0.1");
  ctx.other = createServer((_req, res) => res.end("should not be reached"));
  ctx.other.listen(0, "127.0.0.1");
  await Promise.all([once(ctx.granted, "listening"), once(ctx.other, "listening")]);
  // cmdtool's manifest names a placeholder port; the copy grants the port the server got.
  ctx.grantedPort = (ctx.granted.address() as AddressInfo).port;
  await editManifest(join(pluginsDir, "cmdtool"), (manifest) => void (manifest.permissions.net = [`127.0.0.1:${ctx.grantedPort}`]));
  ctx.otherUrl = `http://127.0.0.1:${(ctx.other.address() as AddressInfo).port}/`;
  ctx.admin = openAdmin("commands e2e");
  await resetPluginDatabases(ctx.admin, [DB_PLUGIN]);
});

commands.after(async (ctx) => {
  ctx.openGate();
  ctx.granted.close();
  ctx.other.close();
  await resetPluginDatabases(ctx.admin, [DB_PLUGIN]);
  await ctx.admin.end();
  await rm(ctx.work, { recursive: true, force: true });
});

function show(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

commands("--help works on the CLI and on run, and lists the subcommands and exit codes", async ({ cli }) => {
  const top = await corral(["--help"], cli);
  assert.is(top.code, 0, show(top));
  assert.match(top.stdout, /Usage: npx corral <command>/);
  assert.match(top.stdout, /run\s+run a command a plugin offers/);
  const run = await corral(["run", "--help"], cli);
  assert.is(run.code, 0, show(run));
  assert.match(run.stdout, /Usage: npx corral run \[options\] <plugin>:<command> \[args\.\.\.\]/);
  assert.match(run.stdout, /130\s+interrupted/);
});

commands("the commands list shows each declared command with its description; run --list is the same", async ({ cli }) => {
  const listed = await corral(["commands"], cli);
  assert.is(listed.code, 0, show(listed));
  assert.match(listed.stdout, /^cmdtool:greet\s+Greets each name given$/m);
  assert.match(listed.stdout, /^cmde2e-db:whoami\s+Prints the database user/m);
  assert.match(listed.stderr, /skipped .*bad-manifest: CORRAL_E_MANIFEST_INVALID/, "a broken plugin is named, not hidden");
  const viaRun = await corral(["run", "--list"], cli);
  assert.is(viaRun.stdout, listed.stdout);
});

commands("output passes through, stdout and stderr apart, console.log included", async ({ cli }) => {
  const greet = await corral(["run", "cmdtool:greet", "Ada", "Grace"], cli);
  assert.is(greet.code, 0, show(greet));
  assert.is(greet.stdout, "Hello, Ada!\nHello, Grace!\n");
  assert.is(greet.stderr, "greeted 2\n");
  const consoled = await corral(["run", "cmdtool:console"], cli);
  assert.is(consoled.code, 0, show(consoled));
  assert.is(consoled.stdout, "from console.log\n");
  assert.is(consoled.stderr, "from console.error\n");
});

commands("arguments after <plugin>:<command> are the command's, --options included", async ({ cli }) => {
  const result = await corral(["run", "cmdtool:greet", "--help", "a b", "--", "-x"], cli);
  assert.is(result.code, 0, show(result));
  assert.is(result.stdout, "Hello, --help!\nHello, a b!\nHello, --!\nHello, -x!\n");
});

commands("the command's exit code is corral's: 0, a returned code, and Deno.exit's", async ({ cli }) => {
  assert.is((await corral(["run", "cmdtool:exit", "0"], cli)).code, 0);
  const seven = await corral(["run", "cmdtool:exit", "7"], cli);
  assert.is(seven.code, 7, show(seven));
  assert.is(seven.stderr, "", "a returned code is not an error");
  const quit = await corral(["run", "cmdtool:quit", "5"], cli);
  assert.is(quit.code, 5, show(quit));
});

commands("a throwing command exits 1 with its message and no stack; --verbose adds the stack", async ({ cli }) => {
  const failed = await corral(["run", "cmdtool:fail", "no", "notes", "here"], cli);
  assert.is(failed.code, 1, show(failed));
  assert.is(failed.stderr, "cmdtool:fail: no notes here\n");
  const verbose = await corral(["run", "--verbose", "cmdtool:fail", "boom"], cli);
  assert.is(verbose.code, 1, show(verbose));
  assert.match(verbose.stderr, /Error: boom\n\s+at .*cmdtool\/mod\.ts/);
});

commands("the command runs with its manifest's grants: a granted file and address work, others fail in the sandbox", async ({ cli, secretFile, otherUrl, grantedPort }) => {
  const granted = await corral(["run", "cmdtool:read", "granted"], cli);
  assert.is(granted.code, 0, show(granted));
  assert.is(granted.stdout, "readable by grant\n");
  const secret = await corral(["run", "cmdtool:read", secretFile], cli);
  assert.is(secret.code, 1, show(secret));
  assert.match(secret.stderr, /^cmdtool:read: Requires read access to /);
  assert.not.match(secret.stdout + secret.stderr, /do not leak this/);
  const reached = await corral(["run", "cmdtool:fetch", `http://127.0.0.1:${grantedPort}/`], cli);
  assert.is(reached.code, 0, show(reached));
  assert.is(reached.stdout, "200 upstream says hi\n");
  const refused = await corral(["run", "cmdtool:fetch", otherUrl], cli);
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /^cmdtool:fetch: Requires net access to "127\.0\.0\.1:\d+"/);
});

commands("output streams while the command runs", async ({ cli, openGate, closeGate, grantedPort }) => {
  closeGate();
  // The command prints "first", then waits for a request that the test answers only once it has
  // seen "first": output held back until the end would never arrive, and the run would hang.
  const run = startCorral(["run", "cmdtool:stream", `http://127.0.0.1:${grantedPort}/gate`], cli);
  while (!run.output.stdout.includes("first\n")) {
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.is(run.output.stdout, "first\n", "first line before the command finished");
  openGate();
  const result = await run.done;
  assert.is(result.code, 0, show(result));
  assert.is(result.stdout, "first\nsecond\n");
});

commands("Ctrl-C (SIGINT) stops the command and exits 130", async ({ cli, closeGate, grantedPort }) => {
  closeGate();
  const run = startCorral(["run", "cmdtool:stream", `http://127.0.0.1:${grantedPort}/gate`], cli);
  while (!run.output.stdout.includes("first\n") && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  run.child.kill("SIGINT");
  const result = await run.done;
  assert.is(result.code, 130, show(result));
  assert.match(result.stderr, /cmdtool:stream interrupted/);
});

commands("--timeout stops a command that runs too long, exit 3", async ({ cli, closeGate, grantedPort }) => {
  closeGate();
  const result = await corral(["run", "--timeout", "0.5", "cmdtool:stream", `http://127.0.0.1:${grantedPort}/gate`], cli);
  assert.is(result.code, 3, show(result));
  assert.match(result.stderr, /CORRAL_E_CALL_TIMEOUT: the command did not finish within 0\.5 s/);
});

commands("an undeclared command and an unknown plugin are usage errors (exit 2) that list what exists", async ({ cli }) => {
  const command = await corral(["run", "cmdtool:purge"], cli);
  assert.is(command.code, 2, show(command));
  assert.match(command.stderr, /CORRAL_E_COMMAND_UNKNOWN: plugin "cmdtool" has no command "purge"; its commands: cmdtool:console, cmdtool:exit/);
  const plugin = await corral(["run", "nosuch:export"], cli);
  assert.is(plugin.code, 2, show(plugin));
  assert.match(plugin.stderr, /CORRAL_E_PLUGIN_NOT_FOUND: no plugin named "nosuch" in .*; plugins: cmde2e-db, cmdtool/);
  const malformed = await corral(["run", "cmdtool"], cli);
  assert.is(malformed.code, 2, show(malformed));
  assert.match(malformed.stderr, /names no command: write <plugin>:<command>/);
  const unknown = await corral(["frobnicate"], cli);
  assert.is(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /unknown command "frobnicate"; commands: run, commands/);
});

commands("a broken manifest gives the manifest's error; a command missing from the code says so (exit 3)", async ({ cli }) => {
  const broken = await corral(["run", "bad-manifest:anything"], cli);
  assert.is(broken.code, 3, show(broken));
  assert.match(broken.stderr, /CORRAL_E_MANIFEST_INVALID: .*bad-manifest\/plugin\.json: \/: unknown field "colour"/);
  const missing = await corral(["run", "cmdtool:undefined-in-code"], cli);
  assert.is(missing.code, 3, show(missing));
  assert.match(missing.stderr, /CORRAL_E_COMMAND_UNKNOWN: plugin "cmdtool" has no command "undefined-in-code" in its code/);
});

commands("a database plugin's command works in its own schema, as its own role", async ({ cli, admin }) => {
  const added = await corral(["run", `${DB_PLUGIN}:add`, "first", "item"], cli);
  assert.is(added.code, 0, show(added));
  assert.match(added.stdout, /^added \d+\n$/);
  await corral(["run", `${DB_PLUGIN}:add`, "second"], cli);
  const listed = await corral(["run", `${DB_PLUGIN}:list`], cli);
  assert.is(listed.code, 0, show(listed));
  assert.is(listed.stdout, "first item\nsecond\n");
  const who = await corral(["run", `${DB_PLUGIN}:whoami`], cli);
  assert.is(who.stdout, `${await roleOf(admin, DB_PLUGIN)} plugin_cmde2e_db\n`, show(who));
});

commands("the real `npx corral` works from the project folder", async ({ cli }) => {
  const result = await corral(["run", "cmdtool:greet", "npx"], { ...cli, npx: true });
  assert.is(result.code, 0, show(result));
  assert.is(result.stdout, "Hello, npx!\n");
});

commands.run();
