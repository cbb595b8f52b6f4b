// The template watcher reports changed template paths, and "all" when it cannot tell.
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type TemplateChange, TemplateWatcher } from "../../../host/templates/template-watcher.ts";
import { memoryLogger } from "../../helpers/database.ts";
import { eventually } from "../../helpers/host.ts";

const watcher = suite<{ dir: string; watcher: TemplateWatcher; changes: TemplateChange[] }>("template watcher");

watcher.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "corral-tplwatch-"));
  await mkdir(join(ctx.dir, "partials"));
  ctx.changes = [];
  ctx.watcher = new TemplateWatcher(memoryLogger().logger, 20);
  assert.ok(await ctx.watcher.watch(ctx.dir, (change) => ctx.changes.push(change)));
});
watcher.after.each(async (ctx) => {
  ctx.watcher.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

const flat = (changes: TemplateChange[]) => changes.flatMap((c) => c === "all" ? ["*all*"] : c);

watcher("a written template is reported by its path inside the folder", async ({ dir, changes }) => {
  await writeFile(join(dir, "partials", "nav.hbs"), "x");
  await eventually(() => flat(changes).includes("partials/nav.hbs") ? true : undefined, 5000, "the change");
  assert.not.ok(flat(changes).includes("*all*"));
});

watcher("hidden files (editor swap files) are ignored; a folder change means all", async ({ dir, changes }) => {
  await writeFile(join(dir, ".page.hbs.swp"), "x");
  await writeFile(join(dir, "partials", "a.hbs"), "x");
  await eventually(() => flat(changes).includes("partials/a.hbs") ? true : undefined, 5000, "the change");
  assert.not.ok(flat(changes).some((p) => p.includes("swp")));
  await rename(join(dir, "partials"), join(dir, "parts"));
  await eventually(() => flat(changes).includes("*all*") ? true : undefined, 5000, "all");
});

watcher("a missing folder is not watched", async ({ dir, watcher }) => {
  assert.is(await watcher.watch(join(dir, "nope"), () => {}), false);
});

watcher.run();
