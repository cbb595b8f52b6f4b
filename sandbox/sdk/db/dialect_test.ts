/** Tests of Corral's Kysely dialect against a fake host link: SQL, values, transactions, lock. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { AbortedTransactionError, type Kysely, sql } from "kysely";
import { CorralAdapter, MIGRATION_LOCK_SQL } from "./adapter.ts";
import { DatabaseError } from "./database-error.ts";
import { fakeDatabase } from "./fake-database.ts";
import type { DatabaseLink } from "./link.ts";
import { openDatabase } from "./open.ts";

interface Database {
  notes: { id: string; title: string; created_at: Date; body: Uint8Array | null };
}

const LOCK_OPTIONS = { lockTable: "kysely_migration_lock", lockRowId: "migration_lock" };

Deno.test("dialect: statements compile to Postgres SQL; parameters and rows keep their types", async () => {
  const at = new Date("2024-05-01T12:00:00.000Z");
  const fake = fakeDatabase<Database>(() => [{ id: "9007199254740993", title: "a", created_at: at, body: new Uint8Array([1, 2]) }]);
  const rows = await fake.db.selectFrom("notes").selectAll().where("created_at", "<", at).where("id", "=", 5n as unknown as string)
    .execute();
  strictEqual(fake.log[0]!.sql, 'select * from "notes" where "created_at" < $1 and "id" = $2');
  deepStrictEqual(fake.log[0]!.parameters, [at, 5n]);
  ok(rows[0]!.created_at instanceof Date && rows[0]!.created_at.getTime() === at.getTime());
  deepStrictEqual(rows[0]!.body, new Uint8Array([1, 2]));
  strictEqual(rows[0]!.id, "9007199254740993", "int8 stays a string, as in node-postgres");
});

Deno.test("dialect: INSERT, UPDATE and DELETE report numAffectedRows as a bigint", async () => {
  const fake = fakeDatabase<Database>((query) => query.sql.startsWith("select") ? [{ id: "1" }] : { rowCount: 3 });
  const updated = await fake.db.updateTable("notes").set({ title: "b" }).executeTakeFirst();
  strictEqual(updated.numUpdatedRows, 3n);
  const deleted = await fake.db.deleteFrom("notes").executeTakeFirst();
  strictEqual(deleted.numDeletedRows, 3n);
  const inserted = await fake.db.insertInto("notes").values({ id: "1", title: "x", created_at: new Date(), body: null })
    .executeTakeFirst();
  strictEqual(inserted.numInsertedOrUpdatedRows, 3n);
});

Deno.test("dialect: a transaction names its id on every statement, and commits", async () => {
  const fake = fakeDatabase<Database>();
  await fake.db.transaction().execute(async (trx) => {
    await trx.insertInto("notes").values({ id: "1", title: "x", created_at: new Date(), body: null }).execute();
    await fake.db.selectFrom("notes").selectAll().execute(); // outside: no transaction
    await trx.selectFrom("notes").selectAll().execute();
  });
  deepStrictEqual(fake.log.map((q) => [q.sql.split(" ")[0], q.transactionId]), [
    ["begin", 1],
    ["insert", 1],
    ["select", 0],
    ["select", 1],
    ["commit", 1],
  ]);
});

Deno.test("dialect: a transaction whose callback throws is rolled back and the error propagates", async () => {
  const fake = fakeDatabase<Database>();
  await rejects(
    fake.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("notes").execute();
      throw new Error("changed my mind");
    }),
    /changed my mind/,
  );
  deepStrictEqual(fake.log.map((q) => q.sql.split(" ")[0]), ["begin", "delete", "rollback"]);
});

Deno.test("dialect: isolation level and access mode are set first thing in the transaction", async () => {
  const fake = fakeDatabase<Database>();
  await fake.db.transaction().setIsolationLevel("serializable").setAccessMode("read only").execute((trx) =>
    trx.selectFrom("notes").selectAll().execute()
  );
  deepStrictEqual(fake.log.map((q) => q.sql), [
    "begin",
    "set transaction isolation level serializable, read only",
    'select * from "notes"',
    "commit",
  ]);
});

Deno.test("dialect: savepoints run inside the transaction, names quoted", async () => {
  const fake = fakeDatabase<Database>();
  const trx = await fake.db.startTransaction().execute();
  const withSavepoint = await trx.savepoint("before delete").execute();
  await withSavepoint.deleteFrom("notes").execute();
  await withSavepoint.rollbackToSavepoint("before delete").execute();
  await trx.commit().execute();
  deepStrictEqual(fake.log.map((q) => [q.sql, q.transactionId]), [
    ["begin", 1],
    ['savepoint "before delete"', 1],
    ['delete from "notes"', 1],
    ['rollback to "before delete"', 1],
    ["commit", 1],
  ]);
});

Deno.test("dialect: the migration lock is the first statement of the migration transaction", async () => {
  const fake = fakeDatabase<Database>();
  const adapter = new CorralAdapter();
  await fake.db.connection().execute(async (db) => {
    await adapter.acquireMigrationLock(db as Kysely<unknown>, LOCK_OPTIONS);
    strictEqual(fake.log.length, 0, "nothing is sent before the transaction begins");
    await db.transaction().execute((trx) => sql`select 1`.execute(trx));
    await adapter.releaseMigrationLock(db as Kysely<unknown>, LOCK_OPTIONS);
  });
  deepStrictEqual(fake.log.map((q) => [q.sql, q.transactionId]), [
    ["begin", 1],
    [MIGRATION_LOCK_SQL, 1],
    ["select 1", 1],
    ["commit", 1],
  ]);
  strictEqual(MIGRATION_LOCK_SQL, "select pg_advisory_xact_lock(hashtext(current_user))");
});

Deno.test("dialect: a failed lock or SET rolls the new transaction back before the error propagates", async () => {
  const fake = fakeDatabase<Database>((query) => {
    if (query.sql.startsWith("set transaction")) throw new DatabaseError("invalid isolation", "22023", "CORRAL_E_DB_QUERY");
  });
  await rejects(
    fake.db.transaction().setIsolationLevel("snapshot").execute(() => Promise.resolve()),
    (error: unknown) => error instanceof DatabaseError && error.code === "22023",
  );
  deepStrictEqual(fake.log.map((q) => q.sql.split(" ")[0]), ["begin", "set", "rollback"]);
});

Deno.test("dialect: Postgres' refusal surfaces as a DatabaseError with its SQLSTATE and message", async () => {
  const fake = fakeDatabase<Database>(() => {
    throw new DatabaseError('relation "notes" does not exist', "42P01", "CORRAL_E_DB_QUERY");
  });
  await rejects(fake.db.selectFrom("notes").selectAll().execute(), (error: unknown) => {
    ok(error instanceof DatabaseError);
    strictEqual(error.code, "42P01");
    strictEqual(error.message, 'relation "notes" does not exist');
    return true;
  });
});

Deno.test("dialect: a commit Postgres answers with ROLLBACK is an AbortedTransactionError; no second rollback", async () => {
  const steps: string[] = [];
  const link: DatabaseLink = {
    query: () => Promise.resolve({ rowsJson: "[]", rowCount: 0, command: "SELECT", transactionId: 0 }),
    transaction: (action) => {
      steps.push(action);
      const command = action === "commit" ? "ROLLBACK" : action.toUpperCase();
      return Promise.resolve({ rowsJson: "[]", rowCount: -1, command, transactionId: 4 });
    },
  };
  const db = openDatabase<Database>(link);
  await rejects(db.transaction().execute((trx) => trx.selectFrom("notes").selectAll().execute()), AbortedTransactionError);
  deepStrictEqual(steps, ["begin", "commit"]);
});

Deno.test("dialect: a failed commit is not followed by a rollback of a transaction the host forgot", async () => {
  const steps: string[] = [];
  const link: DatabaseLink = {
    query: () => Promise.resolve({ rowsJson: "[]", rowCount: 0, command: "SELECT", transactionId: 0 }),
    transaction: (action) => {
      steps.push(action);
      if (action === "commit") {
        return Promise.reject(new DatabaseError("deferred constraint violated", "23503", "CORRAL_E_DB_QUERY"));
      }
      return Promise.resolve({ rowsJson: "[]", rowCount: -1, command: "BEGIN", transactionId: 4 });
    },
  };
  const db = openDatabase<Database>(link);
  await rejects(db.transaction().execute(() => Promise.resolve()), /deferred constraint violated/);
  deepStrictEqual(steps, ["begin", "commit"]);
});

Deno.test("dialect: stream() says it is not supported and what to do instead", async () => {
  const fake = fakeDatabase<Database>();
  await rejects(async () => {
    for await (const _ of fake.db.selectFrom("notes").selectAll().stream()) {
      // never reached
    }
  }, /stream\(\) is not supported .* limit\/offset or a keyset/);
});
