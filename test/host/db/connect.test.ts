/** Tests for openHostDatabase's failures that need no server (host/db/connect.ts). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { openHostDatabase } from "../../../host/db/connect.ts";
import { memoryLogger } from "../../helpers/database.ts";

test("an unreachable DATABASE_URL fails with DB_UNAVAILABLE naming host and port, never the password", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "corral-connect-"));
  const { logger } = memoryLogger();
  let error: unknown;
  try {
    await openHostDatabase({ databaseUrl: "postgres://someone:hunter2secret@127.0.0.1:1/nowhere", dataDir, logger });
  } catch (caught) {
    error = caught;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.instance(error, CorralError);
  assert.is((error as CorralError).code, ErrorCode.DB_UNAVAILABLE);
  assert.match((error as CorralError).message, /127\.0\.0\.1:1\/nowhere/);
  assert.match((error as CorralError).message, /unset DATABASE_URL/);
  assert.not.match((error as CorralError).message, /hunter2secret/);
});

test.run();
