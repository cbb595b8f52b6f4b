// Reading one template file safely: the path rule, links out, hidden targets, size.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { readTemplateFile } from "../../../host/templates/template-file.ts";
import { rejection } from "../../helpers/assert.ts";

const file = suite<{ dir: string; root: string }>("template file");

file.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "corral-tplfile-"));
  ctx.root = join(ctx.dir, "templates");
  await mkdir(join(ctx.root, "partials"), { recursive: true });
  await writeFile(join(ctx.root, "page.hbs"), "<p>{{x}}</p>");
  await writeFile(join(ctx.root, "partials", "nav.hbs"), "nav");
  await writeFile(join(ctx.root, ".hidden.hbs"), "hidden");
  await writeFile(join(ctx.dir, "outside.hbs"), "secret");
  await symlink(join(ctx.dir, "outside.hbs"), join(ctx.root, "out.hbs"));
  await symlink("partials/nav.hbs", join(ctx.root, "alias.hbs"));
  await symlink(".hidden.hbs", join(ctx.root, "to-hidden.hbs"));
  await symlink(ctx.dir, join(ctx.root, "up"));
  await mkdir(join(ctx.root, "folder.hbs"));
  await writeFile(join(ctx.root, "big.hbs"), "x".repeat(2048));
});
file.after(async (ctx) => rm(ctx.dir, { recursive: true, force: true }));

file("reads a template and gives it a version that follows the file", async ({ root }) => {
  const first = await readTemplateFile(root, "page.hbs");
  assert.is(first?.source, "<p>{{x}}</p>");
  assert.match(first!.version, /^\d+-12$/);
  await writeFile(join(root, "page.hbs"), "<p>{{x}}!</p>");
  assert.is.not((await readTemplateFile(root, "page.hbs"))!.version, first!.version);
});

file("a missing file, a missing folder and a folder named .hbs are null", async ({ root, dir }) => {
  assert.is(await readTemplateFile(root, "nope.hbs"), null);
  assert.is(await readTemplateFile(join(dir, "no-such-folder"), "page.hbs"), null);
  assert.is(await readTemplateFile(root, "folder.hbs"), null);
});

file("a link inside the folder is followed", async ({ root }) => {
  assert.is((await readTemplateFile(root, "alias.hbs"))?.source, "nav");
});

file("traversal, hidden files and links that leave the folder are refused with CALL_DENIED", async ({ root }) => {
  for (const path of ["../outside.hbs", "partials/../../outside.hbs", "/etc/passwd.hbs", ".hidden.hbs", "a\\b.hbs", "page"]) {
    const error = await rejection(readTemplateFile(root, path));
    assert.is(error.code, ErrorCode.CALL_DENIED, path);
    assert.match(error.message, /is refused: /);
  }
  for (const path of ["out.hbs", "to-hidden.hbs", "up/outside.hbs"]) {
    const error = await rejection(readTemplateFile(root, path));
    assert.is(error.code, ErrorCode.CALL_DENIED, path);
    assert.match(error.message, /leads outside its templates folder or to a hidden file/);
    assert.not.match(error.message, /secret/);
  }
});

file("a file over the size limit is refused, naming the sizes", async ({ root }) => {
  const error = await rejection(readTemplateFile(root, "big.hbs", 1024));
  assert.is(error.code, ErrorCode.CALL_FAILED);
  assert.match(error.message, /"big\.hbs" is 2048 bytes; a template may be at most 1024 bytes/);
});

file.run();
