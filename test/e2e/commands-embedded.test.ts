// End to end without DATABASE_URL: a database plugin's command on the embedded Postgres, both
// next to a running host (whose server the command joins) and with no host (the CLI starts the
// server for the command and stops it afterwards).
import { existsSync } from "node:fs";
import { chmod, cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { corral } from "../helpers/corral-cli.ts";
import type { CliResult } from "../helpers/corral-cli.ts";
import { FIXTURES, startTestHost } from "../helpers/host.ts";

const PLUGIN = "cmde2e-db";
const embedded = suite<{ work: string }>("commands on the embedded Postgres");

embedded.before(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-commands-embedded-"));
  // As root the embedded Postgres runs as the OS user "postgres", which must pass through here.
  if (process.getuid?.() === 0) await chmod(ctx.work, 0o711);
  await cp(join(FIXTURES, PLUGIN), join(ctx.work, "plugins", PLUGIN), { recursive: true });
});
embedded.after(async (ctx) => {
  await rm(ctx.work, { recursive: true, force: true });
});

function show(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

embedded("next to a running host, the command joins the host's embedded server instead of refusing the data folder", async () => {
  const t = await startTestHost({ plugins: [join(FIXTURES, PLUGIN)], database: "embedded" });
  try {
    const cli = { pluginsDir: t.pluginsDir, dataDir: join(dirname(t.pluginsDir), "data"), env: { DATABASE_URL: "" } };
    const added = await corral(["run", `${PLUGIN}:add`, "while the host runs"], cli);
    assert.is(added.code, 0, show(added));
    const listed = await corral(["run", `${PLUGIN}:list`], cli);
    assert.is(listed.stdout, "while the host runs\n", show(listed));
    assert.is(t.host.health().plugins.find((p) => p.name === PLUGIN)?.state, "ready", "the host's plugin is unaffected");
  } finally {
    await t.close();
  }
});

embedded("with no host running, the CLI starts the embedded server for the command and stops it after", async ({ work }) => {
  const cli = { pluginsDir: join(work, "plugins"), dataDir: join(work, "data"), env: { DATABASE_URL: "" } };
  const added = await corral(["run", `${PLUGIN}:add`, "no host"], cli);
  assert.is(added.code, 0, show(added));
  assert.not.ok(existsSync(join(work, "data", "postgres", "postmaster.pid")), "the server was stopped");
  const who = await corral(["run", `${PLUGIN}:whoami`], cli);
  // The embedded database's tag is its own; the role is plugin_<name>_<tag>, the schema plugin_<name>.
  assert.match(who.stdout, /^plugin_cmde2e_db_[0-9a-f]{8} plugin_cmde2e_db\n$/, show(who));
});

embedded.run();
