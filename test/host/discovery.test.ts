// Discovery of plugin folders: a symlink to a plugin folder counts as that folder (corral dev and
// the test harness serve a plugin from where its author keeps it), its manifest's dir is the real
// path; a dangling symlink and a symlink to a file are passed over.
import { cp, mkdtemp, mkdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { discoverPlugins } from "../../host/discovery.ts";
import { FIXTURES } from "../helpers/host.ts";

test("a symlinked plugin folder is found with its real path; dangling and file links are skipped", async () => {
  const work = await mkdtemp(join(tmpdir(), "corral-discovery-"));
  try {
    const elsewhere = join(work, "src", "dv-hello");
    await cp(join(FIXTURES, "dv-hello"), elsewhere, { recursive: true });
    const plugins = join(work, "plugins");
    await mkdir(plugins);
    await symlink(elsewhere, join(plugins, "linked"));
    await symlink(join(work, "missing"), join(plugins, "dangling"));
    await writeFile(join(work, "file.txt"), "not a folder");
    await symlink(join(work, "file.txt"), join(plugins, "file-link"));
    const found = await discoverPlugins(plugins);
    assert.equal(found.found.map((p) => [p.manifest.name, p.dir]), [["dv-hello", await realpath(elsewhere)]]);
    assert.equal(found.invalid, []);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();
