/**
 * Tests for the static catalog on real folders (no plugin processes): fingerprinted URLs,
 * precedence of host overrides and compiled assets, change detection, and asset builds.
 */
import { createHash } from "node:crypto";
import { readFile as readFileAsync } from "node:fs/promises";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Logger } from "../../../host/logger.ts";
import type { LogRecord } from "../../../host/logger.ts";
import { loadManifest } from "../../../host/manifest/manifest.ts";
import { StaticCatalog } from "../../../host/static/catalog.ts";
import { resolveRequestPath } from "../../../host/static/resolve-path.ts";
import type { StaticPathOk } from "../../../host/static/resolve-path.ts";
import { eventually } from "../../helpers/host.ts";

interface Ctx {
  root: string;
  logs: LogRecord[];
}

const catalog = suite<Ctx>("static catalog");
const temps: string[] = [];

catalog.before.each(async (ctx) => {
  ctx.root = await mkdtemp(join(tmpdir(), "corral-static-"));
  temps.push(ctx.root);
  ctx.logs = [];
});
catalog.after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

function short(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

async function files(root: string, tree: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** A plugin folder "<root>/plugins/<name>" with a manifest, mod.ts and `tree`; its catalog. */
async function setup(ctx: Ctx, tree: Record<string, string>, manifest: Record<string, unknown> = {}, staticDir?: string) {
  const dir = join(ctx.root, "plugins", "site");
  await files(dir, { "plugin.json": JSON.stringify({ name: "site", version: "1.0.0", hostApi: "^0.1.0", ...manifest }), "mod.ts": "", ...tree });
  const log = new Logger({ level: "debug", sink: (_line, record) => ctx.logs.push(record) });
  const statics = new StaticCatalog({ dataDir: join(ctx.root, "data"), staticDir, log });
  const status = await statics.add(await loadManifest(dir));
  return { dir, statics, status };
}

function ok(path: string): StaticPathOk {
  const resolved = resolveRequestPath(path);
  if (!resolved.ok) throw new Error(`${path} refused: ${resolved.reason}`);
  return resolved;
}

catalog("urlFor and urlsFor give fingerprinted URLs for servable files only", async (ctx) => {
  const { dir, statics } = await setup(ctx, {
    "static/site.css": "body{}", "static/img/logo.svg": "<svg/>", "static/my file.txt": "x",
    "static/.env": "SECRET=1", "static/.git/config": "x", "static/100%.txt": "x",
  });
  await symlink("/etc/hostname", join(dir, "static", "escape.txt"));
  await symlink(join(dir, "mod.ts"), join(dir, "static", "mod.ts"));
  assert.is(statics.urlFor("site", "site.css"), `/plugins/site/static/site.${short("body{}")}.css`);
  assert.is(statics.urlFor("site", "/img/logo.svg"), `/plugins/site/static/img/logo.${short("<svg/>")}.svg`);
  assert.is(statics.urlFor("site", "missing.css"), "/plugins/site/static/missing.css", "a missing file gets its plain URL");
  assert.is(statics.urlFor("site", ".env"), "/plugins/site/static/.env", "a refused file is never fingerprinted");
  assert.is(statics.urlFor("site", "escape.txt"), "/plugins/site/static/escape.txt");
  assert.equal(statics.urlsFor("site"), {
    "img/logo.svg": `/plugins/site/static/img/logo.${short("<svg/>")}.svg`,
    "my file.txt": `/plugins/site/static/my%20file.${short("x")}.txt`,
    "site.css": `/plugins/site/static/site.${short("body{}")}.css`,
  });
  assert.ok(Object.isFrozen(statics.urlsFor("site")));
  assert.throws(() => statics.urlFor("nope", "site.css"), (error: Error) => error instanceof RangeError && error.message.includes('"nope"'));
  statics.close();
});

catalog("lookup: the current fingerprint is immutable, a stale one is missing with the current URL, a symlink out is refused", async (ctx) => {
  const { dir, statics } = await setup(ctx, { "static/site.css": "v1" });
  await symlink("/etc/hostname", join(dir, "static", "escape.txt"));
  const current = await statics.lookup("site", ok(`site.${short("v1")}.css`));
  assert.ok(current?.kind === "file" && current.immutable);
  const plain = await statics.lookup("site", ok("site.css"));
  assert.ok(plain?.kind === "file" && !plain.immutable);
  const stale = await statics.lookup("site", ok("site.0badf00d.css"));
  assert.ok(stale?.kind === "missing" && stale.hint?.includes(`/plugins/site/static/site.${short("v1")}.css`), JSON.stringify(stale));
  const escape = await statics.lookup("site", ok("escape.txt"));
  assert.ok(escape?.kind === "missing" && escape.refused === true && escape.reason.includes("outside"), JSON.stringify(escape));
  const manifest = await statics.lookup("site", ok(`plugin.${short("x")}.json`));
  assert.is(manifest?.kind, "missing");
  assert.is(await statics.lookup("other", ok("site.css")), undefined);
  statics.close();
});

catalog("a static folder that is a symlink to the plugin folder itself is refused as a whole", async (ctx) => {
  const dir = join(ctx.root, "plugins", "site");
  await files(dir, { "plugin.json": JSON.stringify({ name: "site", version: "1.0.0", hostApi: "^0.1.0" }), "mod.ts": "" });
  await symlink(".", join(dir, "static"));
  const log = new Logger({ level: "debug", sink: (_line, record) => ctx.logs.push(record) });
  const statics = new StaticCatalog({ dataDir: join(ctx.root, "data"), log });
  await statics.add(await loadManifest(dir));
  assert.equal(statics.urlsFor("site"), {});
  assert.is((await statics.lookup("site", ok("mod.ts")))?.kind, "missing");
  assert.ok(ctx.logs.some((r) => r.level === "error" && r.message.startsWith("static folder refused")));
  statics.close();
});

catalog("the host's static folder overrides a plugin's file; compiled assets come between", async (ctx) => {
  const staticDir = join(ctx.root, "host-static");
  await files(staticDir, { "plugins/site/site.css": "override", "plugins/other/site.css": "not ours" });
  const { statics } = await setup(ctx, { "static/site.css": "plugin", "static/only.css": "only", "assets/app.ts": "console.log(1)" },
    { assets: ["assets/app.ts"] }, staticDir);
  assert.is(statics.urlFor("site", "site.css"), `/plugins/site/static/site.${short("override")}.css`);
  assert.is(statics.urlFor("site", "only.css"), `/plugins/site/static/only.${short("only")}.css`);
  assert.equal(Object.keys(statics.urlsFor("site")), ["app.js", "only.css", "site.css"]);
  const served = await statics.lookup("site", ok("site.css"));
  assert.ok(served?.kind === "file" && served.file.root.kind === "override");
  statics.close();
});

catalog("a changed file gets a new fingerprint at once; urlsFor and onChange follow the watcher", async (ctx) => {
  const { dir, statics } = await setup(ctx, { "static/site.css": "v1" });
  const changed: string[] = [];
  statics.onChange((plugin) => changed.push(plugin));
  assert.is(statics.urlsFor("site")["site.css"], `/plugins/site/static/site.${short("v1")}.css`);
  await writeFile(join(dir, "static", "site.css"), "version two");
  assert.is(statics.urlFor("site", "site.css"), `/plugins/site/static/site.${short("version two")}.css`);
  await writeFile(join(dir, "static", "new.css"), "new");
  await eventually(() => statics.urlsFor("site")["new.css"], 5000, "urlsFor to list new.css");
  assert.is(statics.urlsFor("site")["site.css"], `/plugins/site/static/site.${short("version two")}.css`);
  await eventually(() => (changed.includes("site") ? true : undefined), 5000, "onChange to be called");
  statics.close();
});

catalog("assets: TypeScript is bundled and minified, CSS minified, outputs served under their names", async (ctx) => {
  const { statics, status } = await setup(ctx, {
    "assets/app.ts": `import { greet } from "./lib/greet.ts";\n// a comment that must not survive\nconst theLongGreetingVariable: string = greet("Corral");\nconsole.log(theLongGreetingVariable);\n`,
    "assets/lib/greet.ts": `export function greet(name: string): string {\n  return "Hello, " + name + "!";\n}\n`,
    "assets/site.css": `@import "./base.css";\n.notes {\n  color: #ff0000;\n  background: url(img/paper.png);\n}\n`,
    "assets/base.css": `body {\n  margin: 0px;\n}\n`,
  }, { assets: ["assets/app.ts", "assets/site.css"] });
  assert.equal(status, { outputs: ["app.js", "site.css"] });
  const js = await readFileAsync(join(ctx.root, "data", "assets", "site", "app.js"), "utf8");
  assert.ok(js.includes("Hello, "), "the imported module is bundled in");
  assert.not.ok(js.includes("a comment"), "comments are gone");
  assert.not.ok(js.includes("theLongGreetingVariable"), "names are minified");
  assert.not.ok(js.includes(": string"), "types are stripped");
  const css = await readFileAsync(join(ctx.root, "data", "assets", "site", "site.css"), "utf8");
  assert.is(css.trim(), "body{margin:0}.notes{color:red;background:url(img/paper.png)}");
  assert.is(statics.urlFor("site", "app.js"), `/plugins/site/static/app.${short(js)}.js`);
  statics.close();
});

catalog("assets: a syntax error is reported with the plugin, the file, the line and esbuild's message", async (ctx) => {
  const { statics, status } = await setup(ctx, { "assets/app.ts": "const a = ;\n" }, { assets: ["assets/app.ts"] });
  assert.equal(status.outputs, []);
  assert.ok(status.error?.includes(`plugin "site": its assets could not be built: assets/app.ts:1:11: Unexpected ";"`), status.error);
  const record = ctx.logs.find((r) => r.level === "error" && r.plugin === "site");
  assert.ok(record?.message.includes("asset build failed"));
  assert.is(record?.fields?.code, "CORRAL_E_ASSET_BUILD");
  assert.is(statics.urlFor("site", "app.js"), "/plugins/site/static/app.js");
  statics.close();
});

catalog("assets: an import of a file outside the plugin folder is refused, by path or through a symlink", async (ctx) => {
  await files(ctx.root, { "secret.txt": "host secret" });
  const dir = join(ctx.root, "plugins", "site");
  await mkdir(join(dir, "assets"), { recursive: true });
  await symlink(join(ctx.root, "secret.txt"), join(dir, "assets", "linked.txt"));
  for (const source of [`import s from "../../../secret.txt"; console.log(s);`, `import s from "./linked.txt"; console.log(s);`]) {
    const { statics, status } = await setup(ctx, { "assets/app.ts": source }, { assets: ["assets/app.ts"] });
    assert.ok(status.error?.includes("is outside the plugin folder"), status.error);
    statics.close();
  }
});

catalog("assets: an entry that does not exist is reported against the manifest field", async (ctx) => {
  const { statics, status } = await setup(ctx, {}, { assets: ["assets/missing.ts"] });
  assert.ok(status.error?.endsWith(`/assets/0: "assets/missing.ts" does not exist; list files inside the plugin folder (${join(ctx.root, "plugins", "site")})`), status.error);
  statics.close();
});

catalog.run();
