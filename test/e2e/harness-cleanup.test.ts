// End to end: a test process killed with SIGKILL never calls stop(), so its harness's scratch
// database and the plugin role it created stay on the server. The next startHarness drops both
// (the process is gone, nobody is connected) and leaves a live run's database alone.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import pg from "pg";
import { startHarness } from "corral/testing";
import { ROOT } from "../helpers/corral-cli.ts";
import { requireDatabaseUrl } from "../helpers/database.ts";
import { FIXTURES } from "../helpers/host.ts";

const serverUrl = requireDatabaseUrl("harness cleanup e2e");

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const databasesOf = async (pid: number) =>
  (await query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`corral\\_harness\\_${pid}\\_%`])).map((r) => r.datname);

test("a harness killed with SIGKILL leaves its database and role; the next harness drops them, and not a live run's", async () => {
  // A live run (this process) whose database must survive the cleanup.
  const live = await startHarness({ plugin: join(FIXTURES, "dv-hello") });
  try {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/r2-killed-harness.ts"], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: serverUrl }, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await until(`the child's harness to start (${output})`, async () => output.includes("ready\n") || child.exitCode !== null, 60_000);
    assert.ok(output.includes("ready\n"), output);
    const pid = child.pid!;
    const left = await databasesOf(pid);
    assert.is(left.length, 1, "the child's harness made a scratch database");
    // The role carries the scratch database's tag; the database's comment names it.
    const [comment] = await query<{ comment: string }>("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [left[0]]);
    const roles = (JSON.parse(comment!.comment) as { roles: string[] }).roles;
    assert.is(roles.length, 1);
    assert.match(roles[0]!, /^plugin_r2_stale_[0-9a-f]{8}$/);
    assert.is((await query("SELECT 1 FROM pg_roles WHERE rolname = $1", [roles[0]])).length, 1, "and the plugin's role");

    child.kill("SIGKILL");
    assert.is(await exited, "SIGKILL");
    // The server notices the dead client's sockets closing; until then the database is in use.
    await until("the killed run's connections to close", async () =>
      (await query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [left[0]])).length === 0);
    assert.equal(await databasesOf(pid), left, "stop() never ran: the database is still there");

    const next = await startHarness({ plugin: join(FIXTURES, "dv-hello") });
    try {
      assert.equal(await databasesOf(pid), [], "the next harness dropped the killed run's database");
      assert.equal(await query("SELECT 1 FROM pg_roles WHERE rolname = $1", [roles[0]]), [], "and the role that run created");
      assert.is((await databasesOf(process.pid)).length, 2, "the live run's database and the new one's are untouched");
      assert.ok(next.logs().some((r) => r.message.startsWith("harness: dropped scratch databases") && JSON.stringify(r.fields).includes(left[0]!)),
        "the harness says what it dropped");
    } finally {
      await next.stop();
    }
  } finally {
    await live.stop();
  }
  assert.equal(await databasesOf(process.pid), [], "both harnesses of this process dropped their own");
});

test.run();
