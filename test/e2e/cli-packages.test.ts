/**
 * The package loop through the real CLI (npx corral) against a real host: create -> deno test of
 * the scaffold -> pack -> keygen -> sign -> verify -> install (activate) -> serve -> update with a
 * permission escalation refused, then accepted; a tampered package and an unsigned one refused.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { corral, ROOT } from "../helpers/corral-cli.ts";
import { startTestHost, type TestHost } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

let host: TestHost;
let work: string;
let env: Record<string, string>;
const NAME = "cli-e2e-app";

const cli = (args: string[]) => corral(args, { pluginsDir: host.pluginsDir, dataDir: join(work, "cli-data"), env, npx: true });

const managerAdmin = openManagerAdmin();
const dbAdmin = openAdmin("cli packages");

/** The installed versions live in the host database, where every other host of it would load them. */
async function forget(): Promise<void> {
  await forgetManagerRows(managerAdmin, [NAME]);
  await resetPluginDatabases(dbAdmin, [NAME]);
}

test.before(async () => {
  await forget();
  host = await startTestHost({ plugins: ["echo"] });
  work = await mkdtemp(join(tmpdir(), "corral-cli-e2e-"));
  env = { CORRAL_URL: host.url, CORRAL_ADMIN_TOKEN: host.host.adminToken };
});
test.after(async () => {
  await host?.close();
  await forget();
  await managerAdmin.end();
  await dbAdmin.end();
});

test("create -> deno test -> pack -> sign -> verify -> install -> serve -> update (escalation refused, then accepted)", async () => {
  const dir = join(work, NAME);
  const created = await cli(["create", NAME, "--dir", dir]);
  assert.is(created.code, 0, created.stderr);
  const denoTest = spawnSync(join(ROOT, "node_modules/@deno/linux-x64-glibc/deno"),
    ["test", "--config", join(ROOT, "deno.json"), "--no-prompt", "--no-remote", "--allow-read", "--quiet", dir], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.is(denoTest.status, 0, denoTest.stdout + denoTest.stderr);
  assert.match(denoTest.stdout, /3 passed/);

  const file = join(work, `${NAME}-0.1.0.corral`);
  assert.is((await cli(["pack", dir, "--out", file])).code, 0);
  const again = join(work, "again.corral");
  assert.is((await cli(["pack", dir, "--out", again])).code, 0);
  assert.ok((await readFile(file)).equals(await readFile(again)), "pack is reproducible");

  // Unsigned: refused by the host's default policy, naming the reason.
  const unsigned = await cli(["install", file]);
  assert.is(unsigned.code, 3);
  assert.match(unsigned.stderr, /CORRAL_E_PACKAGE_UNTRUSTED.*unsigned/);

  const keygen = await cli(["keygen", "--out", join(work, "me"), "--json"]);
  assert.is(keygen.code, 0, keygen.stderr);
  const { keyId } = JSON.parse(keygen.stdout) as { keyId: string };
  assert.is((await cli(["sign", file, "--key", join(work, "me.key")])).code, 0);
  const trusted = join(dirname(host.pluginsDir), "data", "trusted-keys");
  await mkdir(trusted, { recursive: true });
  await copyFile(join(work, "me.pub"), join(trusted, "me.pub"));
  const verified = await cli(["verify", file, "--trusted-keys", trusted, "--json"]);
  assert.is(verified.code, 0, verified.stdout);
  assert.equal(JSON.parse(verified.stdout).signature, { status: "trusted", keyId, keyFile: "me.pub" });

  // Tampered after signing: a changed mod.ts is refused, by verify and by install, naming the file.
  const tampered = join(work, "tampered.corral");
  const tar = gunzipSync(await readFile(file));
  const at = tar.indexOf("c.json({ message");
  tar.write("C", at); // same size, different content
  await writeFile(tampered, gzipSync(tar));
  const badVerify = await cli(["verify", tampered, "--trusted-keys", trusted]);
  assert.is(badVerify.code, 3);
  assert.match(badVerify.stderr, /CORRAL_E_PACKAGE_INVALID: changed file: mod\.ts/);
  const badInstall = await cli(["install", tampered]);
  assert.is(badInstall.code, 3);
  assert.match(badInstall.stderr, /changed file: mod\.ts/);

  const installed = await cli(["install", file, "--activate"]);
  assert.is(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, new RegExp(`signature: trusted \\(key ${keyId}\\)`));
  const hello = await fetch(`${host.url}/plugins/${NAME}/hello`);
  assert.is(hello.status, 200);
  assert.equal(await hello.json(), { message: `Hello from ${NAME}` });

  // 0.2.0 asks for the network: refused without --accept-permissions, with the difference shown.
  const manifest = JSON.parse(await readFile(join(dir, "plugin.json"), "utf8"));
  await writeFile(join(dir, "plugin.json"), JSON.stringify({ ...manifest, version: "0.2.0", permissions: { net: ["example.com:443"] } }));
  const next = join(work, `${NAME}-0.2.0.corral`);
  assert.is((await cli(["pack", dir, "--out", next])).code, 0);
  assert.is((await cli(["sign", next, "--key", join(work, "me.key")])).code, 0);
  const refused = await cli(["update", next]);
  assert.is(refused.code, 4, refused.stderr);
  assert.match(refused.stderr, /CORRAL_E_PERMISSION_ESCALATION/);
  assert.match(refused.stderr, /\+ permissions\.net example\.com:443/);
  const list = await cli(["list", "--json"]);
  assert.is(JSON.parse(list.stdout).plugins.find((p: { name: string }) => p.name === NAME).version, "0.1.0", "nothing changed");

  const accepted = await cli(["update", next, "--accept-permissions"]);
  assert.is(accepted.code, 0, accepted.stderr);
  assert.match(accepted.stdout, /\+ permissions\.net example\.com:443/);
  const after = await cli(["list", "--json"]);
  assert.is(JSON.parse(after.stdout).plugins.find((p: { name: string }) => p.name === NAME).version, "0.2.0");
  assert.is((await fetch(`${host.url}/plugins/${NAME}/hello`)).status, 200);

  const audit = await cli(["audit", next, "--json"]);
  assert.is(audit.code, 0);
  assert.match(JSON.parse(audit.stdout).registry, /no registry configured/);
});

test("every new command has --help; unknown options are usage errors", async () => {
  for (const name of ["create", "pack", "sign", "verify", "keygen", "install", "update", "uninstall", "list", "enable", "disable", "health", "logs", "migrate", "audit", "outdated", "publish"]) {
    const help = await corral([name, "--help"], { pluginsDir: host.pluginsDir, dataDir: join(work, "cli-data") });
    assert.is(help.code, 0, name);
    assert.match(help.stdout, new RegExp(`^Usage: npx corral ${name}`), name);
  }
  const bad = await corral(["pack", "--bogus"], { pluginsDir: host.pluginsDir, dataDir: join(work, "cli-data") });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--bogus/);
});

test.run();
