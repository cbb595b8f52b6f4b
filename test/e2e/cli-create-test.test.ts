// End to end: `corral create` makes a plugin in a folder outside the project, and `corral test`
// runs both kinds of its tests: the deno tests (@corral/sdk/testing, no host) and the node
// integration tests (corral/testing's harness: a real host, Deno process and Postgres). They
// pass as created, and both kinds fail once the /hello handler is broken.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { changelogOf } from "../../host/packages/changelog.ts";
import { openPackage, packFolder } from "../../host/packages/package.ts";
import { corral } from "../helpers/corral-cli.ts";
import { requireDatabaseUrl } from "../helpers/database.ts";

const NAME = "dv-scaffold";

/** Scratch databases and the plugin's role the harness may have left (it should leave none). */
async function leftovers(): Promise<string[]> {
  const client = new pg.Client({ connectionString: requireDatabaseUrl("create/test e2e") });
  await client.connect();
  try {
    const dbs = await client.query<{ name: string }>("SELECT datname AS name FROM pg_database WHERE datname LIKE 'corral_harness_%'");
    const roles = await client.query<{ name: string }>("SELECT rolname AS name FROM pg_roles WHERE rolname ~ '^plugin_dv_scaffold_[0-9a-f]{8}$'");
    return [...dbs.rows, ...roles.rows].map((r) => r.name);
  } finally {
    await client.end();
  }
}

test("a created plugin's deno and node tests pass, and both fail when its handler is broken", async () => {
  const work = await mkdtemp(join(tmpdir(), "corral-create-test-"));
  const dirs = { pluginsDir: join(work, "unused"), dataDir: join(work, "unused-data") };
  try {
    const dir = join(work, NAME);
    const created = await corral(["create", NAME, "--dir", dir, "--json"], dirs);
    assert.is(created.code, 0, created.stderr);
    assert.ok(JSON.parse(created.stdout).files.includes("test/integration.mjs"));
    // The changelog reaches a registry as a publish reads it: from inside the packed package.
    const { bytes } = await packFolder(dir);
    assert.match(changelogOf(openPackage(bytes).files, "0.1.0"), /^- First version, made by `npx corral create`/);
    const before = await leftovers();

    const passed = await corral(["test", dir, "--json"], dirs);
    assert.is(passed.code, 0, passed.stdout + passed.stderr);
    assert.match(passed.stdout, /ok \| 3 passed \| 0 failed/, "deno: the three scaffold tests");
    assert.match(passed.stdout, /# pass 3\n# fail 0/, "node: the three integration tests");
    assert.match(passed.stdout, /ok \d+ - POST \/visits stores rows in the plugin's own table/);
    assert.equal(JSON.parse(passed.stdout.slice(passed.stdout.lastIndexOf("\n{"))), { deno: { code: 0 }, node: { code: 0, files: 1 } });
    assert.equal(await leftovers(), before, "the harness dropped its scratch database and the plugin's role");

    const modPath = join(dir, "mod.ts");
    const mod = await readFile(modPath, "utf8");
    const broken = mod.replace('app.get("/hello", (c) => c.json(', 'app.get("/hello", () => { throw new Error("broken on purpose"); }, (c) => c.json(');
    assert.not.equal(broken, mod, "the handler was found to break");
    await writeFile(modPath, broken);
    const failed = await corral(["test", dir, "--json"], dirs);
    assert.is(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /\| 2 passed \| 1 failed/, "deno: the /hello test fails");
    assert.match(failed.stdout, /# pass 2\n# fail 1/, "node: the /hello test fails");
    assert.match(failed.stdout, /not ok \d+ - GET \/hello answers with the greeting of plugin\.json/);
    assert.match(failed.stderr, /corral test: deno failed \(exit 1\), node failed \(exit 1\)/);

    const onlyNode = await corral(["test", dir, "--only", "node"], dirs);
    assert.is(onlyNode.code, 1);
    assert.not.match(onlyNode.stderr, /deno tests in/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("corral test refuses a folder without plugin.json (exit 3) and a bad --only (exit 2)", async () => {
  const work = await mkdtemp(join(tmpdir(), "corral-create-test-"));
  const dirs = { pluginsDir: join(work, "unused"), dataDir: join(work, "unused-data") };
  try {
    const none = await corral(["test", work], dirs);
    assert.is(none.code, 3);
    assert.match(none.stderr, /has no plugin\.json; give the folder of a plugin/);
    const bad = await corral(["test", work, "--only", "unit"], dirs);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--only must be deno or node, got "unit"/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();
