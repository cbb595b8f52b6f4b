/** Tests for loading plugin.json: defaults, readable validation errors, and paths kept inside the plugin folder. */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { loadManifest, parseManifest } from "../../host/manifest/manifest.ts";
import { rejection } from "../helpers/assert.ts";

const GOOD = { name: "hello", version: "1.2.3", hostApi: "^1.0.0" };
const temps: string[] = [];

/** A plugin folder in a fresh temp dir holding `files` (paths relative to the folder). */
async function plugin(manifest: unknown, files: Record<string, string> = { "mod.ts": "export default {};\n" }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "corral-manifest-"));
  temps.push(root);
  const dir = join(root, "plugin");
  await mkdir(dir);
  await writeFile(join(dir, "plugin.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest, null, 2));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

function parseError(manifest: unknown): CorralError {
  try {
    parseManifest(JSON.stringify(manifest), "plugins/x/plugin.json");
  } catch (error) {
    assert.instance(error, CorralError);
    return error as CorralError;
  }
  assert.unreachable(`expected ${JSON.stringify(manifest)} to be refused`);
  throw new Error("unreachable"); // for the type checker: uvu types unreachable() as void
}

test.after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

test("a minimal manifest loads with every default applied", async () => {
  const dir = await plugin(GOOD);
  const loaded = await loadManifest(dir);
  assert.equal(loaded.manifest, {
    ...GOOD, entry: "mod.ts", dependencies: {}, permissions: { net: [], read: [], env: [] },
    limits: {}, database: false, config: {},
    globalHooks: {}, events: { emits: [], subscribes: [], queueSize: 100 }, extensionPoints: {}, contributes: [], commands: {},
    assets: [], lazy: false, instances: { min: 1, max: 1 }, host: [],
  });
  assert.is(loaded.dir, await realpath(dir));
  assert.is(loaded.file, join(dir, "plugin.json"));
  assert.is(loaded.entryPath, join(await realpath(dir), "mod.ts"));
  assert.equal(loaded.readPaths, []);
  assert.ok(Object.isFrozen(loaded.manifest.permissions.net), "manifest is frozen all the way down");
});

test("issue-4 fields get their defaults: hook priority/timeout/paths, extension point timeout, cache size", async () => {
  const manifest = parseManifest(JSON.stringify({
    ...GOOD,
    globalHooks: { beforeRequest: { priority: 5 }, teardownRequest: {} },
    events: { emits: ["notes.created"], subscribes: ["corral.plugin.*"] },
    extensionPoints: { "admin.menu": {} },
    contributes: ["admin.menu"],
    commands: { export: { description: "prints every note" } },
    cache: {},
  }), "plugin.json");
  assert.equal(manifest.globalHooks, {
    beforeRequest: { priority: 5, timeoutMs: 1000, paths: ["/"] },
    teardownRequest: { priority: 0, timeoutMs: 1000, paths: ["/"] },
  });
  assert.equal(manifest.events, { emits: ["notes.created"], subscribes: ["corral.plugin.*"], queueSize: 100 });
  assert.equal(manifest.extensionPoints, { "admin.menu": { timeoutMs: 1000 } });
  assert.equal(manifest.cache, { maxBytes: 1024 * 1024 });
  assert.throws(() => parseManifest(JSON.stringify({ ...GOOD, events: { emits: ["Bad Name"] } }), "x/plugin.json"),
    (error: Error) => error.message.includes("x/plugin.json: /events/emits/0") && error.message.includes("notes.created"));
});

test("a full manifest keeps its values and resolves entry and read paths to real paths", async () => {
  const dir = await plugin({
    ...GOOD, description: "says hello", author: { name: "Ada", email: "ada@example.com" }, license: "Apache-2.0 OR MIT",
    entry: "src/main.ts", dependencies: { "other-plugin": "^2.0.0" },
    permissions: { net: ["api.example.com:443", "[::1]:8080", "10.0.0.5:5432"], read: ["templates", "data/words.txt"], env: ["API_KEY"] },
    limits: { memoryMb: 256, timeoutMs: 5000, maxBodyBytes: 0 }, database: true, config: { greeting: "hi", nested: { n: 1 } },
  }, { "src/main.ts": "", "templates/a.hbs": "", "data/words.txt": "" });
  const loaded = await loadManifest(dir);
  const real = await realpath(dir);
  assert.is(loaded.entryPath, join(real, "src/main.ts"));
  assert.equal(loaded.readPaths, [join(real, "templates"), join(real, "data/words.txt")]);
  assert.equal(loaded.manifest.limits, { memoryMb: 256, timeoutMs: 5000, maxBodyBytes: 0 });
  assert.equal(loaded.manifest.config, { greeting: "hi", nested: { n: 1 } });
  assert.is(loaded.manifest.database, true);
});

const BAD_FIELDS: Array<[string, Record<string, unknown>, string]> = [
  ["name with capitals", { name: "Hello" }, `/name: expected a name of 2-40 lowercase letters`],
  ["name ending in a hyphen", { name: "hello-" }, `got "hello-"`],
  ["version that is not semver", { version: "one" }, `/version: expected a semver version like "1.2.3", got "one"`],
  ["version with a v prefix", { version: "v1.2.3" }, `/version: expected a semver version like "1.2.3", got "v1.2.3"`],
  ["hostApi that is not a range", { hostApi: "latest" }, `/hostApi: expected a semver range like "^1.0.0", got "latest"`],
  ["empty hostApi", { hostApi: "" }, `/hostApi: expected a semver range like "^1.0.0", got ""`],
  ["entry that is not a module", { entry: "mod.py" }, `/entry: expected a relative path ending in .ts, .tsx, .js or .mjs`],
  ["author object without a name", { author: { email: "a@b.c" } }, `/author: missing required field "name"`],
  ["author of the wrong type", { author: 42 }, `/author: expected a string, or an object {"name", "email"?, "url"?}, got 42`],
  ["license that is not an SPDX id", { license: "my license!" }, `/license: expected an SPDX license identifier`],
  ["dependency with a bad range", { dependencies: { other: "newest" } }, `/dependencies/other: expected a semver range like "^1.0.0", got "newest"`],
  ["dependency with a bad name", { dependencies: { Other: "^1.0.0" } }, `/dependencies: key "Other": expected a plugin name`],
  ["net grant without a port", { permissions: { net: ["example.com"] } }, `/permissions/net/0: expected "host:port"`],
  ["net grant with port 0", { permissions: { net: ["example.com:0"] } }, `got "example.com:0"`],
  ["net grant with port 65536", { permissions: { net: ["example.com:65536"] } }, `got "example.com:65536"`],
  ["net grant with bare IPv6", { permissions: { net: ["::1:8080"] } }, `/permissions/net/0: expected "host:port"`],
  ["net grant with a numeric host", { permissions: { net: ["2130706433:80"] } }, `got "2130706433:80"`],
  ["net grant with a URL", { permissions: { net: ["https://example.com:443"] } }, `/permissions/net/0:`],
  ["duplicate net grants", { permissions: { net: ["a.com:1", "a.com:1"] } }, `/permissions/net: duplicate entry "a.com:1" (items 0 and 1)`],
  ["read path with a comma", { permissions: { read: ["a,/etc"] } }, `/permissions/read/0: expected a non-empty relative path without commas`],
  ["env name with a dash", { permissions: { env: ["API-KEY"] } }, `/permissions/env/0: expected an environment variable name like "API_KEY"`],
  ["memoryMb below 16", { limits: { memoryMb: 8 } }, `/limits/memoryMb: expected an integer from 16 to 16384 (MiB), got 8`],
  ["timeoutMs not an integer", { limits: { timeoutMs: 1.5 } }, `/limits/timeoutMs: expected an integer from 10 to 600000 (milliseconds), got 1.5`],
  ["maxBodyBytes negative", { limits: { maxBodyBytes: -1 } }, `/limits/maxBodyBytes: expected an integer from 0 to 1073741824 (bytes), got -1`],
  ["database as a string", { database: "yes" }, `/database: expected true or false, got "yes"`],
  ["config as an array", { config: [1] }, `/config: expected a JSON object, got [1]`],
];

for (const [what, patch, expected] of BAD_FIELDS) {
  test(`refuses ${what}, naming the file, the JSON path and the expectation`, () => {
    const error = parseError({ ...GOOD, ...patch });
    assert.is(error.code, ErrorCode.MANIFEST_INVALID);
    const line = error.message.split("\n").find((l) => l.includes(expected));
    assert.ok(line !== undefined, `expected ${JSON.stringify(expected)} in:\n${error.message}`);
    assert.match(line, /^plugins\/x\/plugin\.json: \/\S*: /, "the line starts with the file and the JSON path");
  });
}

test("refuses unknown fields at every level and lists the allowed ones", () => {
  const error = parseError({ ...GOOD, colour: "red", permissions: { write: ["x"] }, limits: { cpu: 1 } });
  const lines = error.message.split("\n");
  assert.is(lines.length, 3, error.message);
  assert.ok(lines[0].startsWith(`plugins/x/plugin.json: /: unknown field "colour" (allowed: name, version, description,`), lines[0]);
  assert.ok(lines.includes(`plugins/x/plugin.json: /permissions: unknown field "write" (allowed: net, read, env)`), error.message);
  assert.ok(lines.includes(`plugins/x/plugin.json: /limits: unknown field "cpu" (allowed: memoryMb, timeoutMs, maxBodyBytes, dbConnections, maxConcurrent, maxQueue, cpuPercent)`), error.message);
});

test("reports every problem at once, one line each, including missing required fields", () => {
  const error = parseError({ version: "one" });
  assert.equal(error.message.split("\n"), [
    `plugins/x/plugin.json: /: missing required field "name" (a name of 2-40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, like "hello-world")`,
    `plugins/x/plugin.json: /: missing required field "hostApi" (a semver range like "^1.0.0")`,
    `plugins/x/plugin.json: /version: expected a semver version like "1.2.3", got "one"`,
  ]);
});

test("a JSON syntax error names the file, line and column", async () => {
  const dir = await plugin('{\n  "name": "hello",\n  "version": "1.0.0",\n}\n');
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.MANIFEST_INVALID);
  assert.ok(error.message.startsWith(`${join(dir, "plugin.json")}: not valid JSON: line 4, column 1:`), error.message);
});

test("a manifest that is not an object is refused", () => {
  assert.ok(parseError([GOOD]).message.includes(`plugins/x/plugin.json: /: expected a JSON object, got [{"name"`));
});

test("a missing plugin.json is refused naming the file", async () => {
  const dir = await plugin(GOOD);
  await rm(join(dir, "plugin.json"));
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.MANIFEST_INVALID);
  assert.ok(error.message.startsWith(`${join(dir, "plugin.json")}: cannot read the manifest`), error.message);
});

test("a missing entry module is refused", async () => {
  const dir = await plugin({ ...GOOD, entry: "main.ts" });
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.MANIFEST_INVALID);
  assert.ok(error.message.includes(`/entry: "main.ts" does not exist`), error.message);
});

test("a read path that does not exist is refused", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["templates"] } });
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.MANIFEST_INVALID);
  assert.ok(error.message.includes(`/permissions/read/0: "templates" does not exist`), error.message);
});

test("a read path escaping with .. is refused as a policy denial", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["../secret"] } });
  await writeFile(join(dir, "..", "secret"), "s3cret");
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes(`/permissions/read/0: "../secret" leaves the plugin folder`), error.message);
});

test("a sneaky .. in the middle of a read path is refused", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["data/../../secret"] } }, { "mod.ts": "", "data/x": "" });
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes(`"data/../../secret" leaves the plugin folder`), error.message);
});

test("an absolute read path is refused even when it exists", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["/etc/passwd"] } });
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes(`/permissions/read/0: "/etc/passwd" is an absolute path`), error.message);
});

test("a read path that is a symlink pointing out of the folder is refused", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["etc"] } });
  await symlink("/etc", join(dir, "etc"));
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes(`/permissions/read/0: "etc" resolves through a symlink to /etc, outside the plugin folder`), error.message);
});

test("an entry that is a symlink pointing out of the folder is refused", async () => {
  const dir = await plugin(GOOD, {});
  const outside = join(dir, "..", "evil.ts");
  await writeFile(outside, "");
  await symlink(outside, join(dir, "mod.ts"));
  const error = await rejection(loadManifest(dir));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes(`/entry: "mod.ts" resolves through a symlink`), error.message);
});

test("a symlink that stays inside the folder is allowed and resolved", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["link"] } }, { "mod.ts": "", "real/file.txt": "x" });
  await symlink("real", join(dir, "link"));
  const loaded = await loadManifest(dir);
  assert.equal(loaded.readPaths, [join(await realpath(dir), "real")]);
});

test("the folder itself may be granted with \".\"", async () => {
  const dir = await plugin({ ...GOOD, permissions: { read: ["."] } });
  const loaded = await loadManifest(dir);
  assert.equal(loaded.readPaths, [await realpath(dir)]);
});

test("assets: entries are kept in order; paths that leave the folder, dot-folders and other types are refused", () => {
  const manifest = parseManifest(JSON.stringify({ ...GOOD, assets: ["assets/app.ts", "assets/site.css", "src/widget.tsx"] }), "plugin.json");
  assert.equal(manifest.assets, ["assets/app.ts", "assets/site.css", "src/widget.tsx"]);
  for (const bad of ["../app.ts", "assets/../../app.ts", "/abs/app.ts", ".hidden/app.ts", "assets/.app.ts", "assets\\app.ts", "assets/app.py", "a,b.css"]) {
    const error = parseError({ ...GOOD, assets: [bad] });
    assert.ok(error.message.includes(`/assets/0: expected a relative path inside the plugin folder`), `${bad}: ${error.message}`);
  }
});

test.run();
