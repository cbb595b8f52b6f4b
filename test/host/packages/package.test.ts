import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, mkdir, writeFile, cp, utimes, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { checkFiles, openPackage, packFolder, buildPackage, encodeFileList, FILE_LIST } from "../../../host/packages/package.ts";
import { generateSigningKeys, signPackage, trustStatus, assertTrusted, keyIdOf } from "../../../host/packages/signing.ts";
import { readTarGz, writeTarGz } from "../../../host/packages/tar.ts";
import { CorralError } from "../../../schemas/errors.ts";

async function pluginFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "corral-pack-"));
  await writeFile(join(dir, "plugin.json"), JSON.stringify({ name: "cli-pack", version: "1.0.0", hostApi: "^0.1.0" }));
  await writeFile(join(dir, "mod.ts"), "export default {};\n");
  await mkdir(join(dir, "templates", "deep", "a".repeat(60), "b".repeat(60)), { recursive: true });
  await writeFile(join(dir, "templates", "deep", "a".repeat(60), "b".repeat(60), "page.hbs"), "<p>{{x}}</p>");
  await mkdir(join(dir, "node_modules"));
  await writeFile(join(dir, "node_modules", "junk.js"), "skipped");
  return dir;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.instance(error, CorralError);
    return `${(error as CorralError).code}: ${(error as Error).message}`;
  }
  throw new Error("expected a refusal");
}

test("pack is reproducible: a copy with other mtimes and modes gives the same bytes", async () => {
  const dir = await pluginFolder();
  const copy = await mkdtemp(join(tmpdir(), "corral-pack-copy-"));
  await cp(dir, copy, { recursive: true });
  await utimes(join(copy, "mod.ts"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  await chmod(join(copy, "mod.ts"), 0o755);
  const a = await packFolder(dir);
  const b = await packFolder(copy);
  assert.ok(a.bytes.equals(b.bytes));
  assert.equal(a.list.files.map((f) => f.path), ["mod.ts", "plugin.json", `templates/deep/${"a".repeat(60)}/${"b".repeat(60)}/page.hbs`]);
  // no gzip timestamp
  assert.equal(a.bytes.readUInt32LE(4), 0);
});

test("a packed folder opens, and every file checks out; tar round trip keeps long paths", async () => {
  const { bytes } = await packFolder(await pluginFolder());
  const pkg = openPackage(bytes);
  assert.equal(checkFiles(pkg).name, "cli-pack");
  assert.equal(pkg.files.get("mod.ts")?.toString(), "export default {};\n");
  // Compatible with a standard ustar reader's layout: "ustar" magic in the first header.
  assert.equal(gunzipSync(bytes).toString("latin1", 257, 262), "ustar");
});

test("changed, missing and extra files are refused by name", async () => {
  const pkg = openPackage((await packFolder(await pluginFolder())).bytes);
  const changed = new Map(pkg.files);
  changed.set("mod.ts", Buffer.from("evil()"));
  assert.match(code(() => checkFiles(openPackage(buildPackage(pkg.list, changed, undefined, pkg.listBytes)))), /changed file: mod\.ts/);
  const missing = new Map(pkg.files);
  missing.delete("mod.ts");
  assert.match(code(() => checkFiles(openPackage(buildPackage(pkg.list, missing, undefined, pkg.listBytes)))), /missing file: mod\.ts/);
  const extra = new Map(pkg.files);
  extra.set("backdoor.ts", Buffer.from("x"));
  assert.match(code(() => checkFiles(openPackage(buildPackage(pkg.list, extra, undefined, pkg.listBytes)))), /extra file: backdoor\.ts/);
});

test("archives with links, traversal or no file list are refused", () => {
  assert.match(code(() => writeTarGz([{ path: "../x", content: Buffer.alloc(0) }])), /PACKAGE_INVALID.*"\.\."/);
  assert.match(code(() => openPackage(writeTarGz([{ path: "plugin/a", content: Buffer.alloc(1) }]))), /no corral-files\.json/);
  const tar = gunzipSync(writeTarGz([{ path: "a", content: Buffer.from("x") }]));
  tar.write("2", 156, "latin1"); // symlink type, checksum now wrong
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : tar[i]!;
  tar.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  assert.match(code(() => readTarGz(gzipSync(tar))), /not a regular file/);
  assert.match(code(() => openPackage(Buffer.from("not gzip"))), /not a gzip/);
});

test("signatures: trusted, untrusted, unsigned, and a list altered after signing", async () => {
  const pkg = openPackage((await packFolder(await pluginFolder())).bytes);
  const keys = generateSigningKeys();
  const signed = openPackage(signPackage(pkg, keys.privateKey).bytes);
  assert.equal(signed.signature?.keyId, keyIdOf(keys.publicKey));
  const trusted = new Map([[keys.keyId, "me.pub"]]);
  assert.equal(trustStatus(signed, trusted).status, "trusted");
  assert.equal(trustStatus(signed, new Map()).status, "untrusted");
  assert.equal(trustStatus(pkg, trusted).status, "unsigned");
  const strict = { allowUnsigned: false, allowUntrusted: false };
  assert.match(code(() => assertTrusted(trustStatus(pkg, trusted), strict, "/keys")), /PACKAGE_UNTRUSTED: the package is unsigned/);
  assert.match(code(() => assertTrusted(trustStatus(signed, new Map()), strict, "/keys")), /does not trust; copy its \.pub file into \/keys/);
  assertTrusted(trustStatus(pkg, trusted), { allowUnsigned: true, allowUntrusted: false }, "/keys");
  // Re-listing a changed file after signing breaks the signature.
  const files = new Map(signed.files);
  files.set("mod.ts", Buffer.from("evil()"));
  const list = { ...signed.list, files: signed.list.files.map((f) => f.path === "mod.ts" ? { ...f, size: 6, sha256: createHash("sha256").update("evil()").digest("hex") } : f) };
  const forged = openPackage(buildPackage(list, files, signed.signature, encodeFileList(list)));
  checkFiles(forged);
  assert.equal(trustStatus(forged, trusted).status, "bad-signature");
  assert.match(code(() => assertTrusted(trustStatus(forged, trusted), { allowUnsigned: true, allowUntrusted: true }, "/k")), /altered after signing/);
  assert.ok(FILE_LIST);
});

test.run();
