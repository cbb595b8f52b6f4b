// Development mode's watcher on real folders: a file saved in place, a file replaced by rename
// (an editor's atomic save) again and again, and a file in a folder made after the watch began
// each reload the plugin once; editor swap files do not.
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Logger } from "../../../host/logger.ts";
import { DevWatcher } from "../../../host/manager/dev-watcher.ts";
import { eventually } from "../../helpers/host.ts";

async function watched() {
  const dir = await mkdtemp(join(tmpdir(), "corral-dev-watcher-"));
  await writeFile(join(dir, "mod.ts"), "v0");
  const reloads: string[] = [];
  const watcher = new DevWatcher({ log: new Logger({ sink: () => {} }), onChange: (name) => reloads.push(name), debounceMs: 50 });
  watcher.watch("p", dir);
  // The subfolders are found asynchronously; a short wait lets the first scan finish.
  await new Promise((r) => setTimeout(r, 200));
  return { dir, reloads, watcher };
}

/** Saves like vim or sed -i: write a new file beside it, rename it over the old one. */
async function atomicSave(path: string, text: string): Promise<void> {
  await writeFile(`${path}.new`, text);
  await rename(`${path}.new`, path);
}

test("every atomic save of the same file reloads, not only the first", async () => {
  const { dir, reloads, watcher } = await watched();
  try {
    for (let n = 1; n <= 3; n++) {
      await atomicSave(join(dir, "mod.ts"), `v${n}`);
      await eventually(() => (reloads.length >= n ? true : undefined), 5000, `reload ${n}`);
      await new Promise((r) => setTimeout(r, 120)); // past the debounce: the next save is a new burst
    }
    await writeFile(join(dir, "mod.ts"), "in place");
    await eventually(() => (reloads.length >= 4 ? true : undefined), 5000, "reload after an in-place write");
  } finally {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a file in a folder created after the watch began reloads; swap files do not", async () => {
  const { dir, reloads, watcher } = await watched();
  try {
    await mkdir(join(dir, "templates"));
    await eventually(() => (reloads.length >= 1 ? true : undefined), 5000, "reload for the new folder");
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(join(dir, "templates", "index.hbs"), "<h1>hi</h1>");
    await eventually(() => (reloads.length >= 2 ? true : undefined), 5000, "reload for a file in the new folder");
    await new Promise((r) => setTimeout(r, 200));
    const before = reloads.length;
    await writeFile(join(dir, ".mod.ts.swp"), "swap");
    await new Promise((r) => setTimeout(r, 300));
    assert.is(reloads.length, before, "an editor's swap file is not a change");
  } finally {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
