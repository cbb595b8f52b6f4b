// A Postgres connection that dies while lent out or idle must not crash the host: the query sees
// the error, the idle one is logged, and the pool goes on with new connections.
import { test } from "uvu";
import * as assert from "uvu/assert";
import pg from "pg";
import { survivePoolErrors } from "../../../host/db/pool-errors.ts";
import { requireDatabaseUrl } from "../../helpers/database.ts";

const url = requireDatabaseUrl("pool errors");

async function terminate(admin: pg.Pool, pid: number): Promise<void> {
  await admin.query("select pg_terminate_backend($1)", [pid]);
}

test("a checked-out connection killed by the server rejects its query, and the process lives on", async () => {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const idleErrors: Error[] = [];
  survivePoolErrors(pool, (error) => idleErrors.push(error));
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => uncaught.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    // Lent out, in a query: the server ends it mid-statement.
    const lent = await pool.connect();
    const pid = (await lent.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    const running = lent.query("select pg_sleep(5)").then(() => "finished", (error: Error) => error.message);
    await terminate(admin, pid);
    assert.match(await running, /terminat/i, "the query that was running sees the failure");
    lent.release(true);
    // Lent out, between queries: nothing is running when the connection dies.
    const held = await pool.connect();
    const heldPid = (await held.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    await terminate(admin, heldPid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await held.query("select 1").then(() => assert.unreachable("a dead connection answered"), () => undefined);
    held.release(true);
    // Idle in the pool: logged through the callback.
    const idle = await pool.connect();
    const idlePid = (await idle.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    idle.release();
    await terminate(admin, idlePid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(idleErrors.length, 1, "the idle connection's failure is reported once");
    assert.equal(uncaught, [], "nothing reached the process as an uncaught exception");
    assert.is((await pool.query<{ one: number }>("select 1 as one")).rows[0]!.one, 1, "the pool serves with a new connection");
  } finally {
    process.off("uncaughtException", onUncaught);
    await pool.end();
    await admin.end();
  }
});

test.run();
