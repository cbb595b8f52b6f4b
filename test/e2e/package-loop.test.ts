/**
 * The whole package loop as a plugin author and an operator live it, through the real CLI (a
 * subprocess each time), a real registry (`corral registry`, its own process) and a real host:
 * create -> deno test -> pack -> keygen + sign -> publish -> search -> trust the key -> install
 * <name>@^1 from the registry -> serve -> publish 1.1.0 with a net grant -> update refused (exit 4,
 * the difference printed), then accepted -> an advisory against 1.1.0 -> the warning in
 * /admin/updates, /health, the dashboard and `corral outdated`. Plus the refusals: unsigned and
 * tampered packages at publish and at install, a registry serving altered bytes.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { corral, ROOT, startCorral, type CliRun } from "../helpers/corral-cli.ts";
import { requireDatabaseUrl } from "../helpers/database.ts";
import { eventually, startTestHost, type TestHost } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import { tamperPackage } from "../helpers/packages.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

const NAME = "rg-loop";
const DENO = join(ROOT, "node_modules/@deno/linux-x64-glibc/deno");

interface Ctx {
  work: string;
  dir: string;
  registry: CliRun;
  registryUrl: string;
  publisher: string;
  reviewer: string;
  host: TestHost;
}
const test = suite<Ctx>("package loop");
const managerAdmin = openManagerAdmin();
const dbAdmin = openAdmin("package loop");
const registryDb = new pg.Pool({ connectionString: requireDatabaseUrl("package loop"), max: 1 });

/** `corral ...` as a user on the plugin's machine runs it, against this suite's host. */
function cli(ctx: Ctx, args: string[], env: Record<string, string> = {}) {
  return corral(args, {
    pluginsDir: ctx.host.pluginsDir, dataDir: join(ctx.work, "cli-data"),
    env: { CORRAL_URL: ctx.host.url, CORRAL_ADMIN_TOKEN: ctx.host.host.adminToken, CORRAL_REGISTRY_TOKEN: ctx.publisher, ...env },
  });
}

/** What earlier runs left in the registry's schema for this plugin (a name belongs to its first publisher). */
async function forgetRegistryPlugin(): Promise<void> {
  const exists = await registryDb.query("select 1 from information_schema.tables where table_schema = 'corral_registry' and table_name = 'packages'");
  if (exists.rowCount === 0) return;
  await registryDb.query("delete from corral_registry.comments where thread_id in (select id from corral_registry.threads where name = $1)", [NAME]);
  for (const table of ["threads", "advisories", "reviews", "versions", "packages"]) {
    await registryDb.query(`delete from corral_registry.${table} where name = $1`, [NAME]);
  }
}

async function forgetHostPlugin(): Promise<void> {
  await forgetManagerRows(managerAdmin, [NAME]);
  await resetPluginDatabases(dbAdmin, [NAME]);
}

/** A `corral registry account` token. */
async function account(ctx: Ctx, role: "publisher" | "reviewer"): Promise<string> {
  const name = `${NAME}-${role}-${Date.now().toString(36)}`;
  const made = await corral(["registry", "account", name, "--role", role], { pluginsDir: join(ctx.work, "none"), dataDir: join(ctx.work, "none") });
  assert.is(made.code, 0, made.stderr);
  return made.stdout.trim();
}

async function editManifest(dir: string, change: Record<string, unknown>): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, "plugin.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "plugin.json"), JSON.stringify({ ...manifest, ...change }, null, 2));
}

async function packAndSign(ctx: Ctx, version: string): Promise<string> {
  const file = join(ctx.work, `${NAME}-${version}.corral`);
  const packed = await cli(ctx, ["pack", ctx.dir, "--out", file]);
  assert.is(packed.code, 0, packed.stderr);
  const signed = await cli(ctx, ["sign", file, "--key", join(ctx.work, "me.key")]);
  assert.is(signed.code, 0, signed.stderr);
  return file;
}

async function hello(ctx: Ctx): Promise<unknown> {
  const response = await fetch(`${ctx.host.url}/plugins/${NAME}/hello`);
  assert.is(response.status, 200);
  return response.json();
}

async function registryApi(ctx: Ctx, path: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(`${ctx.registryUrl}${path}`, init);
  const body = await response.json();
  assert.ok(response.ok, JSON.stringify(body));
  return body;
}

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test.before(async (ctx) => {
  await forgetHostPlugin();
  await forgetRegistryPlugin();
  ctx.work = await mkdtemp(join(tmpdir(), "corral-loop-"));
  ctx.dir = join(ctx.work, NAME);
  ctx.registry = startCorral(["registry", "--port", "0"], { pluginsDir: join(ctx.work, "none"), dataDir: join(ctx.work, "none") });
  ctx.registryUrl = await eventually(() => /registry listening on (\S+)/.exec(ctx.registry.output.stdout)?.[1], 30_000, `the registry to listen (${ctx.registry.output.stderr})`);
  ctx.publisher = await account(ctx, "publisher");
  ctx.reviewer = await account(ctx, "reviewer");
  ctx.host = await startTestHost({ plugins: ["echo"], env: { CORRAL_REGISTRY_URL: ctx.registryUrl } });
});

test.after(async (ctx) => {
  await ctx.host?.close();
  if (ctx.registry !== undefined) {
    ctx.registry.child.kill("SIGTERM");
    assert.is((await ctx.registry.done).code, 0, "corral registry stops cleanly on SIGTERM");
  }
  await forgetHostPlugin();
  await forgetRegistryPlugin();
  await managerAdmin.end();
  await dbAdmin.end();
  await registryDb.end();
  if (ctx.work !== undefined) await rm(ctx.work, { recursive: true, force: true });
});

test("create -> deno test passes -> pack -> keygen -> sign", async (ctx) => {
  const created = await cli(ctx, ["create", NAME, "--dir", ctx.dir]);
  assert.is(created.code, 0, created.stderr);
  const denoTest = spawnSync(DENO, ["test", "--config", join(ROOT, "deno.json"), "--no-prompt", "--no-remote", "--allow-read", "--quiet", ctx.dir],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.is(denoTest.status, 0, denoTest.stdout + denoTest.stderr);
  assert.match(denoTest.stdout, /3 passed/);
  // The author's first release, with its changelog entry.
  await editManifest(ctx.dir, { version: "1.0.0", description: "A greeting that goes round the whole package loop" });
  await writeFile(join(ctx.dir, "CHANGELOG.md"), "# Changelog\n\n## [1.0.0] - 2024-05-01\n- First release: says hello.\n");
  const keygen = await cli(ctx, ["keygen", "--out", join(ctx.work, "me")]);
  assert.is(keygen.code, 0, keygen.stderr);
  const file = await packAndSign(ctx, "1.0.0");
  const verified = await cli(ctx, ["verify", file, "--allow-untrusted", "--json"]);
  assert.is(verified.code, 0, verified.stdout);
  assert.is(JSON.parse(verified.stdout).signature.status, "untrusted", "signed; no host trusts the key yet");
});

test("publish: refused locally when unsigned or tampered (the file named); a signed package is published with its changelog", async (ctx) => {
  const unsignedFile = join(ctx.work, "unsigned.corral");
  assert.is((await cli(ctx, ["pack", ctx.dir, "--out", unsignedFile])).code, 0);
  const unsigned = await cli(ctx, ["publish", unsignedFile, "--registry", ctx.registryUrl]);
  assert.is(unsigned.code, 3);
  assert.match(unsigned.stderr, /rg-loop@1\.0\.0 is unsigned, and registries accept signed packages only/);

  const signedFile = join(ctx.work, `${NAME}-1.0.0.corral`);
  const tamperedFile = join(ctx.work, "tampered.corral");
  await writeFile(tamperedFile, tamperPackage(await readFile(signedFile), "from ${c.env.name}", "FROM ${c.env.name}"));
  const tampered = await cli(ctx, ["publish", tamperedFile, "--registry", ctx.registryUrl]);
  assert.is(tampered.code, 3);
  assert.match(tampered.stderr, /CORRAL_E_PACKAGE_INVALID: changed file: mod\.ts/);

  const noToken = await cli(ctx, ["publish", signedFile, "--registry", ctx.registryUrl], { CORRAL_REGISTRY_TOKEN: "" });
  assert.is(noToken.code, 2);
  assert.match(noToken.stderr, /no registry token: set CORRAL_REGISTRY_TOKEN/);

  const published = await cli(ctx, ["publish", signedFile, "--registry", ctx.registryUrl, "--keywords", "greeting,loop"]);
  assert.is(published.code, 0, published.stderr);
  assert.match(published.stdout, new RegExp(`published rg-loop@1\\.0\\.0 to ${ctx.registryUrl}`));
  assert.match(published.stdout, /changelog:\n {2}- First release: says hello\./);
  const sha = createHash("sha256").update(await readFile(signedFile)).digest("hex");
  assert.match(published.stdout, new RegExp(`sha256 ${sha}`), "the registry keeps the bytes as signed");
  const again = await cli(ctx, ["publish", signedFile, "--registry", ctx.registryUrl]);
  assert.is(again.code, 3);
  assert.match(again.stderr, /CORRAL_E_REGISTRY_CONFLICT/);
});

test("search finds it by name, keyword and permission", async (ctx) => {
  const names = async (query: string) => ((await registryApi(ctx, `/api/plugins?${query}`)).plugins as { name: string }[]).map((p) => p.name);
  assert.ok((await names("q=rg-loop")).includes(NAME));
  assert.ok((await names("q=whole+package+loop")).includes(NAME), "words of its description");
  assert.ok((await names("keyword=loop")).includes(NAME));
  assert.ok((await names("needs=database&without=net")).includes(NAME));
  assert.not.ok((await names("needs=net")).includes(NAME));
});

test("install rg-loop@^1 from the registry: untrusted key refused, then trusted and served; unknown name, no match, unreachable registry", async (ctx) => {
  const untrusted = await cli(ctx, ["install", `${NAME}@^1`, "--activate", "--registry", ctx.registryUrl]);
  assert.is(untrusted.code, 3);
  assert.match(untrusted.stderr, /CORRAL_E_PACKAGE_UNTRUSTED: the package is signed by key \w+, which this host does not trust/);

  const unsigned = await cli(ctx, ["install", join(ctx.work, "unsigned.corral")]);
  assert.is(unsigned.code, 3, "an unsigned package is refused by the host's default policy");
  assert.match(unsigned.stderr, /CORRAL_E_PACKAGE_UNTRUSTED: the package is unsigned/);

  const trusted = join(dirname(ctx.host.pluginsDir), "data", "trusted-keys");
  await mkdir(trusted, { recursive: true });
  await copyFile(join(ctx.work, "me.pub"), join(trusted, "me.pub"));

  const installed = await cli(ctx, ["install", `${NAME}@^1`, "--activate", "--registry", ctx.registryUrl]);
  assert.is(installed.code, 0, installed.stderr);
  assert.match(installed.stderr, /rg-loop@1\.0\.0 from .*: sha256 [0-9a-f]{64} checked/);
  assert.match(installed.stdout, /signature: trusted \(key \w+\)/);
  assert.equal(await hello(ctx), { message: `Hello from ${NAME}` });

  const unknown = await cli(ctx, ["install", "rg-nowhere", "--registry", ctx.registryUrl]);
  assert.is(unknown.code, 3);
  assert.match(unknown.stderr, /CORRAL_E_REGISTRY_NOT_FOUND: no plugin named "rg-nowhere" in the registry/);
  const noMatch = await cli(ctx, ["install", `${NAME}@^2`, "--registry", ctx.registryUrl]);
  assert.is(noMatch.code, 3);
  assert.match(noMatch.stderr, /no version of "rg-loop" matching \^2 in the registry; available: 1\.0\.0/);
  const down = `http://127.0.0.1:${await closedPort()}`;
  const unreachable = await cli(ctx, ["install", NAME, "--registry", down]);
  assert.is(unreachable.code, 3);
  assert.match(unreachable.stderr, new RegExp(`cannot reach the registry at ${down}: .*check the URL \\(--registry or CORRAL_REGISTRY_URL\\)`));
  const notFile = await cli(ctx, ["install", NAME], { CORRAL_REGISTRY_URL: "" });
  assert.is(notFile.code, 2);
  assert.match(notFile.stderr, /"rg-loop" is not a file or folder here; to take it from a registry pass --registry <URL>/);
});

test("1.1.0 adds a net grant: update refused with exit 4 and the difference, then accepted; it serves 1.1.0", async (ctx) => {
  await editManifest(ctx.dir, { version: "1.1.0", permissions: { net: ["api.example.com:443"] }, config: { greeting: "Howdy" } });
  await writeFile(join(ctx.dir, "CHANGELOG.md"),
    "# Changelog\n\n## [1.1.0] - 2024-06-01\n- Greets with Howdy.\n- Asks for api.example.com:443.\n\n## [1.0.0] - 2024-05-01\n- First release: says hello.\n");
  // Published from the folder, signed on the way (the folder is packed as corral pack does).
  const published = await cli(ctx, ["publish", ctx.dir, "--key", join(ctx.work, "me.key")], { CORRAL_REGISTRY_URL: ctx.registryUrl });
  assert.is(published.code, 0, published.stderr);

  const refused = await cli(ctx, ["update", NAME], { CORRAL_REGISTRY_URL: ctx.registryUrl });
  assert.is(refused.code, 4, refused.stderr);
  assert.match(refused.stderr, /CORRAL_E_PERMISSION_ESCALATION: "rg-loop" 1\.1\.0 asks for more than the running 1\.0\.0:\n\+ permissions\.net api\.example\.com:443/);
  assert.equal(await hello(ctx), { message: `Hello from ${NAME}` }, "1.0.0 keeps serving");

  const accepted = await cli(ctx, ["update", NAME, "--accept-permissions"], { CORRAL_REGISTRY_URL: ctx.registryUrl });
  assert.is(accepted.code, 0, accepted.stderr);
  assert.match(accepted.stdout, /\+ permissions\.net api\.example\.com:443/);
  assert.equal(await hello(ctx), { message: `Howdy from ${NAME}` });
  const list = await cli(ctx, ["list", "--json"]);
  assert.is(JSON.parse(list.stdout).plugins.find((p: { name: string }) => p.name === NAME).version, "1.1.0");

  const current = await cli(ctx, ["update", NAME], { CORRAL_REGISTRY_URL: ctx.registryUrl });
  assert.is(current.code, 0, current.stderr);
  assert.match(current.stdout, /"rg-loop" 1\.1\.0 is already the running version/);
});

test("an advisory against 1.1.0 shows as a warning in /admin/updates, /health, the dashboard and corral outdated, beside 1.2.0's changelog", async (ctx) => {
  await registryApi(ctx, `/api/plugins/${NAME}/advisories`, {
    method: "POST", headers: { authorization: `Bearer ${ctx.reviewer}`, "content-type": "application/json" },
    body: JSON.stringify({ affected: ">=1.1.0 <1.2.0", severity: "high", title: "Greets strangers", body: "Update to 1.2.0." }),
  });
  await editManifest(ctx.dir, { version: "1.2.0" });
  await writeFile(join(ctx.dir, "CHANGELOG.md"), "# Changelog\n\n## [1.2.0]\n- Greets friends only (advisory).\n\n## [1.1.0]\n- Greets with Howdy.\n");
  assert.is((await cli(ctx, ["publish", ctx.dir, "--key", join(ctx.work, "me.key"), "--registry", ctx.registryUrl])).code, 0);

  const bearer = { authorization: `Bearer ${ctx.host.host.adminToken}` };
  const report = await (await fetch(`${ctx.host.url}/admin/updates/check`, { method: "POST", headers: bearer })).json() as any;
  const loop = report.plugins.find((p: { name: string }) => p.name === NAME);
  assert.is(loop.installed, "1.1.0");
  assert.is(loop.latest, "1.2.0");
  assert.equal(loop.newer.map((v: { changelog: string }) => v.changelog), ["- Greets friends only (advisory)."]);
  assert.equal(loop.advisories.map((a: { title: string; severity: string }) => [a.title, a.severity]), [["Greets strangers", "high"]]);
  assert.is(report.warnings, 1);
  const health = await (await fetch(`${ctx.host.url}/health`)).json() as any;
  assert.is(health.updates.warnings, 1);
  const dashboard = await (await fetch(`${ctx.host.url}/admin/ui/`, { headers: bearer })).text();
  assert.match(dashboard, /Security advisory for <strong>rg-loop<\/strong> 1\.1\.0 \(high, affects &gt;&#x3D;1\.1\.0 &lt;1\.2\.0\): Greets strangers · update to 1\.2\.0/);
  assert.ok(ctx.host.logs.some((r) => r.level === "warn" && r.plugin === NAME && r.message === "security advisory affects the installed version"));

  const outdated = await cli(ctx, ["outdated", "--registry", ctx.registryUrl]);
  assert.is(outdated.code, 0, outdated.stderr);
  assert.match(outdated.stdout, /rg-loop 1\.1\.0 -> 1\.2\.0\n {2}WARNING advisory \d+: high: Greets strangers \(affects >=1\.1\.0 <1\.2\.0\)\n {2}- Greets friends only \(advisory\)\./);
  const page = await (await fetch(`${ctx.registryUrl}/plugins/${NAME}`)).text();
  assert.match(page, /data-testid="changelog">- Greets friends only \(advisory\)\./, "the browse page shows each version's changelog");
});

test("a registry serving altered bytes is refused at install: the file named, or the sha256 mismatch", async (ctx) => {
  const original = (await registryDb.query("select bytes from corral_registry.versions where name = $1 and version = '1.2.0'", [NAME])).rows[0].bytes as Buffer;
  const altered = tamperPackage(original, "from ${c.env.name}", "FROM ${c.env.name}");
  try {
    // Bytes and recorded hash changed together (a compromised registry): the file list gives it away.
    await registryDb.query("update corral_registry.versions set bytes = $2, sha256 = $3 where name = $1 and version = '1.2.0'",
      [NAME, altered, createHash("sha256").update(altered).digest("hex")]);
    const tampered = await cli(ctx, ["update", NAME, "--registry", ctx.registryUrl]);
    assert.is(tampered.code, 3);
    assert.match(tampered.stderr, /CORRAL_E_PACKAGE_INVALID: changed file: mod\.ts/);
    // Only the bytes changed: the download does not match the hash the registry lists.
    await registryDb.query("update corral_registry.versions set sha256 = $2 where name = $1 and version = '1.2.0'", [NAME, createHash("sha256").update(original).digest("hex")]);
    const mismatch = await cli(ctx, ["update", NAME, "--registry", ctx.registryUrl]);
    assert.is(mismatch.code, 3);
    assert.match(mismatch.stderr, /the bytes' SHA-256 is [0-9a-f]{64}, the registry says [0-9a-f]{64}; the download was changed in transit/);
  } finally {
    await registryDb.query("update corral_registry.versions set bytes = $2, sha256 = $3 where name = $1 and version = '1.2.0'",
      [NAME, original, createHash("sha256").update(original).digest("hex")]);
  }
  assert.equal(await hello(ctx), { message: `Howdy from ${NAME}` }, "1.1.0 still serves");
  const fixed = await cli(ctx, ["update", NAME, "--registry", ctx.registryUrl]);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.is(await eventually(async () => ((await (await fetch(`${ctx.host.url}/health`)).json()) as any).plugins.find((p: { name: string }) => p.name === NAME)?.version === "1.2.0" || undefined), true);
});

test("corral uninstall removes it from the host, and says where its folder went", async (ctx) => {
  const removed = await cli(ctx, ["uninstall", NAME]);
  assert.is(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^uninstalled "rg-loop" on every host; its folder was moved to \S+\/uninstalled\/rg-loop-\S+; its data was kept/);
  assert.is((await fetch(`${ctx.host.url}/plugins/${NAME}/hello`)).status, 404);
});

test.run();
