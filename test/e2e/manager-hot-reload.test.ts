// End to end: in development mode a change in a plugin's folder starts a new process, switches
// traffic once it is ready and stops the old one, with no request failing during the swap; a
// change that breaks the plugin leaves the old process serving and says why.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { forgetManagerRows, healthOf, openManagerAdmin } from "../helpers/manager.ts";

const PLUGIN = "mgr-base";
const test = suite("manager: hot reload");
const hosts: TestHost[] = [];
const admin = openManagerAdmin();

test.before(() => forgetManagerRows(admin, [PLUGIN]));
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(admin, [PLUGIN]);
  await admin.end();
});

test("a changed file reloads the plugin without a failed request; a broken change keeps the old one serving", async () => {
  const t = await startTestHost({ plugins: [PLUGIN], dev: true });
  hosts.push(t);
  const url = `${t.url}/plugins/${PLUGIN}/`;
  const modPath = join(t.pluginsDir, PLUGIN, "mod.ts");
  const original = await readFile(modPath, "utf8");
  const firstPid = healthOf(t, PLUGIN).pid;

  const answers: Array<{ status: number; text: string }> = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const res = await fetch(url);
      answers.push({ status: res.status, text: await res.text() });
    }
  })();
  await writeFile(modPath, original.replace("c.text(`${c.env.name} ", "c.text(`reloaded "));
  await eventually(() => answers.at(-1)?.text.startsWith("reloaded ") || undefined, 15_000, "the new code to answer");
  stop = true;
  await loop;
  assert.equal(answers.filter((a) => a.status !== 200), [], "no request failed during the reload");
  assert.ok(answers.some((a) => a.text.startsWith(`${PLUGIN} `)), "the old code answered before the swap");
  assert.is.not(healthOf(t, PLUGIN).pid, firstPid, "a new process serves");
  assert.is(healthOf(t, PLUGIN).lastSwap?.kind, "reload");

  await writeFile(modPath, `${original}\nthrow new Error("broken on purpose");\n`);
  const failed = await eventually(() => {
    const swap = healthOf(t, PLUGIN).lastSwap;
    return swap?.ok === false ? swap : undefined;
  }, 15_000, "the broken reload to be reported");
  assert.match(failed.error ?? "", /broken on purpose/, failed.error ?? "");
  const res = await fetch(url);
  assert.is(res.status, 200, "the previous process keeps serving");
  assert.match(await res.text(), /^reloaded /);
  assert.ok(t.logs.some((r) => r.message === "reload failed; the running process keeps serving"), "the log says why");
});

test.run();
