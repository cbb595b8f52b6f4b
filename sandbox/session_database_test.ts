/** Tests of the session's database calls: query and transaction frames, answers, errors, migrations. @module */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { sql } from "kysely";
import { ErrorCode } from "../schemas/errors.ts";
import type { InitMessage, QueryMessage, TransactionMessage } from "../schemas/messages.ts";
import { decodeFrame, encodeFrame, type Frame } from "./protocol/codec.ts";
import { waitForFrame } from "./_test_frames.ts";
import { DatabaseError } from "./sdk/db/database-error.ts";
import { definePlugin, type PluginDefinition, type PluginEnv } from "./sdk/mod.ts";
import { ExitCode, Session } from "./session.ts";

const ENTRY = "file:///plugins/db/mod.ts";

type DatabaseCall = QueryMessage | TransactionMessage;
/** Answers one database call as the host would: a queryResult, or an error. */
type HostDatabase = (call: DatabaseCall) => Frame | undefined;

/** A host stand-in whose database answers each call with `database`, on the next tick. */
class Harness {
  readonly sent: Frame[] = [];
  exitCode: number | undefined;
  readonly session: Session;

  constructor(plugin: PluginDefinition, database: HostDatabase = answerOk) {
    this.session = new Session({
      send: (bytes) => {
        const frame = decodeFrame(bytes);
        this.sent.push(frame);
        if (frame.type === "query" || frame.type === "transaction") {
          const answer = database(frame);
          if (answer !== undefined) setTimeout(() => this.send(answer), 0);
        }
      },
      exit: (code) => this.exitCode = code,
      importModule: () => Promise.resolve({ default: plugin }),
    });
    this.session.start();
  }

  send(frame: Frame): void {
    this.session.receive(encodeFrame(frame));
  }

  init(features: readonly string[] = ["database"]): void {
    const init: InitMessage = {
      type: "init",
      id: 1,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: "0.1.0",
      pluginName: "db",
      pluginVersion: "1.0.0",
      entryUrl: ENTRY,
      mountPath: "/plugins/db",
      configJson: "",
      maxBodyBytes: 0,
      features,
    };
    this.send(init);
  }

  request(id: number, url: string): void {
    this.send({ type: "request", id, method: "GET", url, headers: "", body: new Uint8Array(0), remoteAddress: "::1" });
  }

  next(matches: (frame: Frame) => boolean): Promise<Frame> {
    return waitForFrame(this.sent, matches);
  }

  calls(): DatabaseCall[] {
    return this.sent.filter((f): f is DatabaseCall => f.type === "query" || f.type === "transaction");
  }
}

/** A database that answers every query with `rows`, and begins transaction 7. */
function answerOk(call: DatabaseCall, rows: unknown[] = [{ one: 1 }]): Frame {
  if (call.type === "transaction") {
    return { type: "queryResult", id: call.id, rowsJson: "[]", rowCount: -1, command: call.action.toUpperCase(), transactionId: 7 };
  }
  return { type: "queryResult", id: call.id, rowsJson: JSON.stringify(rows), rowCount: rows.length, command: "SELECT", transactionId: 0 };
}

const byId = (id: number) => (frame: Frame) => frame.id === id && frame.type !== "query" && frame.type !== "transaction";
const body = (frame: Frame) => frame.type === "response" ? JSON.parse(new TextDecoder().decode(frame.body)) : frame;

function dbApp() {
  const app = new Hono<PluginEnv>();
  app.get("/one", async (c) => c.json((await sql<{ one: number }>`select ${1}::int as one`.execute(c.env.db)).rows));
  app.get("/at", async (c) => {
    const rows = (await sql<{ at: Date }>`select now() as at`.execute(c.env.db)).rows;
    return c.json({ isDate: rows[0]?.at instanceof Date });
  });
  app.get("/tx", async (c) => {
    await c.env.db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await sql`insert into t values (2)`.execute(trx);
    });
    return c.json({ done: true });
  });
  app.get("/tx-throws", async (c) => {
    try {
      await c.env.db.transaction().execute(async (trx) => {
        await sql`insert into t values (1)`.execute(trx);
        throw new Error("undo");
      });
    } catch (error) {
      return c.json({ error: (error as Error).message });
    }
    return c.json({ error: null });
  });
  app.get("/fail", async (c) => {
    try {
      await sql`select * from missing`.execute(c.env.db);
      return c.json({ ok: true });
    } catch (error) {
      const e = error as DatabaseError;
      return c.json({ isDatabaseError: e instanceof DatabaseError, code: e.code, corralCode: e.corralCode, message: e.message });
    }
  });
  app.get("/no-db", (c) => {
    try {
      return c.json({ db: typeof c.env.db });
    } catch (error) {
      return c.json({ name: (error as Error).name, message: (error as Error).message });
    }
  });
  return app;
}

Deno.test("session db: a query goes out as a query frame with a runner id; its queryResult answers it", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }));
  host.init();
  await host.next(byId(1));
  host.request(50, "/one");
  deepStrictEqual(body(await host.next(byId(50))), [{ one: 1 }]);
  const [query] = host.calls();
  ok(query?.type === "query");
  strictEqual(query.id, 1, "the runner's own ids start at 1, apart from the host's request ids");
  strictEqual(query.sql, "select $1::int as one");
  strictEqual(query.paramsJson, "[1]");
  strictEqual(query.transactionId, 0);
});

Deno.test("session db: rows are decoded from the typed-value JSON", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }), (call) => answerOk(call, [{ at: { $date: "2024-01-01T00:00:00.000Z" } }]));
  host.init();
  await host.next(byId(1));
  host.request(2, "/at");
  deepStrictEqual(body(await host.next(byId(2))), { isDate: true });
});

Deno.test("session db: a Kysely transaction begins, names its id on each statement, commits", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }));
  host.init();
  await host.next(byId(1));
  host.request(2, "/tx");
  deepStrictEqual(body(await host.next(byId(2))), { done: true });
  deepStrictEqual(host.calls().map((c) => c.type === "query" ? ["query", c.transactionId] : [c.action, c.transactionId]), [
    ["begin", 0],
    ["query", 7],
    ["query", 7],
    ["commit", 7],
  ]);
});

Deno.test("session db: a transaction whose callback throws is rolled back", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }));
  host.init();
  await host.next(byId(1));
  host.request(2, "/tx-throws");
  deepStrictEqual(body(await host.next(byId(2))), { error: "undo" });
  deepStrictEqual(host.calls().map((c) => c.type === "query" ? "query" : c.action), ["begin", "query", "rollback"]);
});

Deno.test("session db: an error answer is a DatabaseError with Postgres' SQLSTATE as code", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }), (call) => ({
    type: "error",
    id: call.id,
    code: ErrorCode.DB_QUERY_FAILED,
    message: 'relation "missing" does not exist',
    sqlState: "42P01",
  }));
  host.init();
  await host.next(byId(1));
  host.request(2, "/fail");
  deepStrictEqual(body(await host.next(byId(2))), {
    isDatabaseError: true,
    code: "42P01",
    corralCode: "CORRAL_E_DB_QUERY",
    message: 'relation "missing" does not exist',
  });
  strictEqual(host.exitCode, undefined, "an error answering a call does not end the session");
});

Deno.test("session db: without the database feature, ctx.db throws a TypeError naming plugin.json", async () => {
  const host = new Harness(definePlugin({ app: dbApp() }));
  host.init([]);
  await host.next(byId(1));
  host.request(2, "/no-db");
  const answer = body(await host.next(byId(2)));
  strictEqual(answer.name, "TypeError");
  match(answer.message, /plugin "db" has no database: add "database": true to its plugin\.json/);
  strictEqual(host.calls().length, 0);
});

Deno.test("session db: a plugin with migrations but no database fails to start with CORRAL_E_MIGRATION_FAILED", async () => {
  const plugin = definePlugin({ app: dbApp(), migrations: { "0001_t": { up: async () => {} } } });
  const host = new Harness(plugin);
  host.init([]);
  const error = await host.next(byId(1));
  ok(error.type === "error");
  strictEqual(error.code, ErrorCode.MIGRATION_FAILED);
  match(error.message, /Plugin "db" defines migrations but has no database: add "database": true to its plugin\.json/);
  strictEqual(host.exitCode, ExitCode.START_FAILED);
});

Deno.test("session db: migrations run before the init hook, and a failure is CORRAL_E_MIGRATION_FAILED with the SQLSTATE", async () => {
  const order: string[] = [];
  const plugin = definePlugin({
    app: dbApp(),
    migrations: {
      "0001_t": {
        up: async (db) => {
          order.push("0001");
          await sql`create table t (id int references nowhere)`.execute(db);
        },
      },
    },
    init: () => void order.push("init"),
  });
  // Kysely's Migrator first looks for the schema and its tables; then the migration fails.
  const host = new Harness(plugin, (call) => {
    if (call.type === "query" && call.sql.startsWith("create table t")) {
      return { type: "error", id: call.id, code: ErrorCode.DB_QUERY_FAILED, message: 'relation "nowhere" does not exist', sqlState: "42P01" };
    }
    if (call.type === "query" && call.sql.includes("current_schema()")) return answerOk(call, [{ schema: "plugin_db" }]);
    if (call.type === "query" && call.sql.includes("pg_catalog.pg_namespace") && !call.sql.includes("pg_attribute")) {
      return answerOk(call, [{ nspname: "plugin_db" }]);
    }
    if (call.type === "query" && call.sql.includes("kysely_migration_lock") && call.sql.startsWith("select")) {
      return answerOk(call, [{ id: "migration_lock" }]);
    }
    return answerOk(call, []);
  });
  host.init();
  const error = await host.next(byId(1));
  ok(error.type === "error", JSON.stringify(error));
  strictEqual(error.code, ErrorCode.MIGRATION_FAILED);
  strictEqual(error.sqlState, "42P01");
  match(error.message, /^Plugin "db": migration "0001_t" failed: relation "nowhere" does not exist \(SQLSTATE 42P01\)/);
  deepStrictEqual(order, ["0001"], "the init hook does not run after a failed migration");
  const steps = host.calls().map((c) => c.type === "query" ? c.sql.split(" ").slice(0, 2).join(" ") : c.action);
  const begin = steps.indexOf("begin");
  deepStrictEqual(steps.slice(begin, begin + 2), ["begin", "select pg_advisory_xact_lock(hashtext(current_user))"]);
  strictEqual(steps.at(-1), "rollback");
  strictEqual(host.exitCode, ExitCode.START_FAILED);
});
