// End to end: a plugin's transactions through the host's pool: many at once, one that throws,
// and processes that die (exit, or hang and get killed) with a transaction open.
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases, sessionsOf } from "../helpers/plugin-database.ts";

const PLUGIN = "dbe2e-txn";

const transactions = suite<{ t: TestHost; admin: pg.Pool }>("database transactions");

transactions.before(async (ctx) => {
  ctx.admin = openAdmin("database transactions e2e");
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  ctx.t = await startTestHost({
    plugins: [PLUGIN],
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 10, windowMs: 60_000 },
  });
});
transactions.after(async (ctx) => {
  await ctx.t.close();
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  await ctx.admin.end();
});

async function count(t: TestHost, label: string): Promise<number> {
  const res = await fetch(`${t.url}/plugins/${PLUGIN}/count/${label}`);
  assert.is(res.status, 200, await res.clone().text());
  return ((await res.json()) as { count: number }).count;
}

async function pluginHealth(t: TestHost): Promise<{ state: string; pid: number | null; lastExit: { kind: string } | null }> {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; state: string; pid: number | null; lastExit: { kind: string } | null }> };
  return health.plugins.find((p) => p.name === PLUGIN)!;
}

/** No session of the plugin's role may be left holding a transaction. */
async function assertNoOpenTransaction(admin: pg.Pool): Promise<void> {
  await eventually(async () => {
    const sessions = await sessionsOf(admin, PLUGIN);
    return sessions.some((s) => s.state === "idle in transaction" || s.state === "idle in transaction (aborted)") ? undefined : true;
  }, 5_000, "the plugin role's open transactions to end");
}

transactions("30 concurrent requests, each in its own transaction, share the pool: each sees one transaction on one connection", async ({ t, admin }) => {
  const answers = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const res = await fetch(`${t.url}/plugins/${PLUGIN}/in-transaction/load-${i}`, { method: "POST" });
    assert.is(res.status, 200, await res.clone().text());
    return await res.json() as { first: string; last: string; pid: number; seen: number };
  }));
  for (const answer of answers) {
    assert.is(answer.first, answer.last, "every statement of a transaction ran in that one transaction");
    assert.is(answer.seen, 1, "the transaction sees its own uncommitted row");
  }
  assert.is(new Set(answers.map((a) => a.first)).size, 30, "30 distinct transactions");
  const connections = new Set(answers.map((a) => a.pid)).size;
  assert.ok(connections >= 2 && connections <= 5, `the pool of 5 connections served them (${connections} used)`);
  assert.ok((await sessionsOf(admin, PLUGIN)).length <= 7, "no more sessions than the pool and its headroom");
  for (let i = 0; i < 30; i += 7) assert.is(await count(t, `load-${i}`), 1, "committed");
});

transactions("a transaction whose callback throws is rolled back; the request is a 500", async ({ t, admin }) => {
  const res = await fetch(`${t.url}/plugins/${PLUGIN}/throws/thrown`, { method: "POST" });
  assert.is(res.status, 500);
  await res.body?.cancel();
  assert.is(await count(t, "thrown"), 0, "the insert was rolled back");
  await assertNoOpenTransaction(admin);
});

transactions("a plugin that exits inside a transaction: its connection is released and the insert rolled back", async ({ t, admin }) => {
  const before = await pluginHealth(t);
  const res = await fetch(`${t.url}/plugins/${PLUGIN}/exit/exited`, { method: "POST" });
  assert.is(res.status, 502, "the process died while answering");
  await res.body?.cancel();
  await assertNoOpenTransaction(admin);
  await eventually(async () => (await pluginHealth(t)).state === "ready" && (await pluginHealth(t)).pid !== before.pid || undefined, 10_000, "the plugin to restart");
  assert.is(await count(t, "exited"), 0, "the uncommitted insert is gone");
});

transactions("a plugin stuck inside a transaction is killed; its transaction is rolled back", async ({ t, admin }) => {
  const res = await fetch(`${t.url}/plugins/${PLUGIN}/spin/spun`, { method: "POST" });
  assert.is(res.status, 504, "the request timed out (limits.timeoutMs = 1500)");
  await res.body?.cancel();
  await eventually(async () => (await pluginHealth(t)).lastExit?.kind === "unresponsive" || undefined, 5_000, "the stuck plugin to be killed");
  await assertNoOpenTransaction(admin);
  // A bound, not a timing claim: the restart waits out its backoff, then a cold start (slow on a loaded machine).
  await eventually(async () => (await pluginHealth(t)).state === "ready" || undefined, 20_000, "the plugin to restart");
  assert.is(await count(t, "spun"), 0, "the uncommitted insert is gone");
});

transactions.run();
