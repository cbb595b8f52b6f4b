/** Tests for the host secret and the passwords derived from it (host/db/host-secret.ts). */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { embeddedAdminPassword, HOST_SECRET_FILE, loadHostSecret, pluginDatabasePassword } from "../../../host/db/host-secret.ts";

let root = "";
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), "corral-secret-"));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("the first load creates a private secret file, later loads read the same secret", async () => {
  const dataDir = join(root, "fresh", "data");
  const first = await loadHostSecret(dataDir, {});
  assert.is(first.source, "file");
  assert.is(first.created, true);
  const { mode } = await stat(join(dataDir, HOST_SECRET_FILE));
  assert.is(mode & 0o777, 0o600);
  const second = await loadHostSecret(dataDir, {});
  assert.is(second.created, false);
  assert.equal([...second.key], [...first.key]);
});

test("concurrent first loads agree on one secret", async () => {
  const dataDir = join(root, "race");
  const loads = await Promise.all(Array.from({ length: 8 }, () => loadHostSecret(dataDir, {})));
  assert.is(loads.filter((load) => load.created).length, 1);
  for (const load of loads) assert.equal([...load.key], [...loads[0].key]);
});

test("CORRAL_SECRET wins over the file and is read the same way (the text is the key)", async () => {
  const dataDir = join(root, "env");
  const fromFile = await loadHostSecret(dataDir, {});
  const text = (await readFile(join(dataDir, HOST_SECRET_FILE), "utf8")).trim();
  const fromEnv = await loadHostSecret(join(root, "elsewhere"), { CORRAL_SECRET: text });
  assert.is(fromEnv.source, "env");
  assert.equal([...fromEnv.key], [...fromFile.key]);
});

test("a short CORRAL_SECRET or an empty file is refused with what to do", async () => {
  let error: unknown;
  try {
    await loadHostSecret(root, { CORRAL_SECRET: "too-short" });
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, CorralError);
  assert.is((error as CorralError).code, ErrorCode.ENVIRONMENT);
  assert.match((error as CorralError).message, /openssl rand/);
  const dataDir = join(root, "empty");
  await loadHostSecret(dataDir, {});
  await writeFile(join(dataDir, HOST_SECRET_FILE), "\n");
  error = undefined;
  try {
    await loadHostSecret(dataDir, {});
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, CorralError);
  assert.match((error as CorralError).message, /restore it from a backup/);
});

test("derived passwords are stable, differ per plugin and per purpose, and are URL-safe", () => {
  const key = new TextEncoder().encode("k".repeat(40));
  const other = new TextEncoder().encode("j".repeat(40));
  const notes = pluginDatabasePassword(key, "notes");
  assert.is(notes, pluginDatabasePassword(key, "notes"));
  assert.match(notes, /^[A-Za-z0-9_-]{43}$/);
  assert.is.not(notes, pluginDatabasePassword(key, "notes-2"));
  assert.is.not(notes, pluginDatabasePassword(other, "notes"));
  assert.is.not(embeddedAdminPassword(key), notes);
});

test.run();
