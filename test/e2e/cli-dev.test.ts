// End to end: `corral dev` as a user runs it (a child process) on a temporary copy of a plugin:
// it prints the URL and the grants, serves the plugin, reloads on an edit (the new answer is
// served), reports a broken edit while the old version keeps serving, and on SIGINT exits 0
// with no plugin process left behind.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startCorral } from "../helpers/corral-cli.ts";
import { eventually, FIXTURES } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";

const PLUGIN = "dv-hello";
const admin = openManagerAdmin();

/** Pids of processes whose command line names `path` (the plugin's Deno process names its folder). */
async function processesNaming(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(path)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test.after(async () => {
  await forgetManagerRows(admin, [PLUGIN]);
  await admin.end();
});

test("corral dev serves a folder, reloads on edit, reports a broken edit, and stops cleanly on SIGINT", async () => {
  const work = await mkdtemp(join(tmpdir(), "corral-dev-e2e-"));
  const folder = join(work, PLUGIN);
  await cp(join(FIXTURES, PLUGIN), folder, { recursive: true });
  const run = startCorral(["dev", folder, "--port", "0"], { pluginsDir: join(work, "unused"), dataDir: join(work, "unused-data") });
  try {
    const url = await eventually(() => /serving (http:\/\/127\.0\.0\.1:\d+\/plugins\/dv-hello\/)/.exec(run.output.stdout)?.[1], 30_000, `corral dev to serve:\n${run.output.stdout}${run.output.stderr}`);
    assert.match(run.output.stdout, /dv-hello 1\.0\.0 from /);
    assert.match(run.output.stdout, /state: ready/);
    assert.match(run.output.stdout, /grants \(after the host policy\):\n  net        none\n  read       none\n  env        none\n  database   none/);
    assert.is(await (await fetch(url)).text(), "hello v1");

    const modPath = join(folder, "mod.ts");
    const original = await readFile(modPath, "utf8");
    await writeFile(modPath, original.replace("hello v1", "hello v2"));
    await eventually(async () => ((await (await fetch(url)).text()) === "hello v2" ? true : undefined), 30_000, "the edited code to answer");
    await eventually(() => (/reload ok: version 1\.0\.0/.test(run.output.stdout) ? true : undefined), 10_000, "the reload to be reported");

    await writeFile(modPath, `${original.replace("hello v1", "hello v2")}\nthrow new Error("broken on purpose");\n`);
    await eventually(() => (/reload failed: .*broken on purpose/.test(run.output.stdout) ? true : undefined), 30_000, `the broken reload to be reported:\n${run.output.stdout}`);
    assert.match(run.output.stdout, /the previous version keeps serving/);
    const still = await fetch(url);
    assert.is(still.status, 200);
    assert.is(await still.text(), "hello v2", "the last good version keeps serving");
    assert.ok((await processesNaming(folder)).length > 0, "the plugin's process names its folder (so the check below means something)");

    run.child.kill("SIGINT");
    const done = await run.done;
    assert.is(done.code, 0, done.stderr);
    assert.match(done.stdout, /stopped\n$/);
    assert.equal(await processesNaming(folder), [], "no plugin process is left");
  } finally {
    run.child.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  }
});

test("corral dev refuses a folder without plugin.json, naming it: exit 3", async () => {
  const work = await mkdtemp(join(tmpdir(), "corral-dev-e2e-"));
  try {
    const run = startCorral(["dev", work, "--port", "0"], { pluginsDir: join(work, "unused"), dataDir: join(work, "unused-data") });
    const done = await run.done;
    assert.is(done.code, 3);
    assert.match(done.stderr, /CORRAL_E_MANIFEST_INVALID: .*plugin\.json: cannot read the manifest/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();
