/**
 * The cost of a plugin's query: one statement from a plugin's `ctx.db` (Kysely in the Deno
 * sandbox -> query frame over fd 3 -> the host's pool for the plugin's role -> Postgres and back),
 * against the same statement sent directly with node-postgres (extended protocol) from Node.
 *
 * Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx scripts/bench/db-roundtrip.ts [-- --n 2000]
 * The Postgres must be a superuser connection (the host provisions a role for the bench plugin).
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { dropPluginDatabase } from "../../host/db/provision.ts";
import { startHost } from "../../host/host.ts";
import { Logger } from "../../host/logger.ts";

const HELP = `Usage: DATABASE_URL=... node --import tsx scripts/bench/db-roundtrip.ts [-- --n N]

Times N sequential "select $1::int" statements (median of 5 rounds, µs per statement):
(a) node-postgres from Node, extended protocol; (b) raw sql through a plugin's ctx.db;
(c) a Kysely select through ctx.db; (d) a transaction of begin + insert + commit through ctx.db.`;

const PLUGIN = "bench-db-roundtrip";

const pluginSource = `
import { Hono } from "hono";
import { definePlugin, type PluginEnv } from "@corral/sdk";
import { sql } from "kysely";

interface Database { hits: { id: number; at: Date } }
const app = new Hono<PluginEnv<Database>>();

async function timed(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  return ((performance.now() - started) * 1000) / n;
}

app.get("/raw/:n", async (c) => c.json({ us: await timed(Number(c.req.param("n")), (i) => sql\`select \${i}::int as n\`.execute(c.env.db)) }));
app.get("/kysely/:n", async (c) => c.json({ us: await timed(Number(c.req.param("n")), (i) =>
  c.env.db.selectFrom("hits").select("id").where("id", "=", i).execute()) }));
app.get("/transaction/:n", async (c) => c.json({ us: await timed(Number(c.req.param("n")), (i) =>
  c.env.db.transaction().execute((trx) => trx.insertInto("hits").values({ id: i } as never).execute())) }));

export default definePlugin<Database>({
  app,
  migrations: {
    "0001_hits": {
      up: (db) => db.schema.createTable("hits").addColumn("id", "integer").addColumn("at", "timestamptz", (c) => c.defaultTo(sql\`now()\`)).execute(),
    },
  },
});
`;

/** Median µs per statement of each path (npm run bench folds this in). */
export interface DbRoundtripResult { readonly direct: number; readonly raw: number; readonly kysely: number; readonly transaction: number; readonly n: number; readonly rounds: number }

export async function measureDbRoundtrip(databaseUrl: string, n: number, rounds = 5): Promise<DbRoundtripResult> {
  const work = await mkdtemp(join(tmpdir(), "corral-bench-db-"));
  const pluginDir = join(work, "plugins", PLUGIN);
  await mkdir(pluginDir, { recursive: true });
  await writeFile(join(pluginDir, "plugin.json"), JSON.stringify({ name: PLUGIN, version: "1.0.0", hostApi: "^0.1.0", database: true }));
  await writeFile(join(pluginDir, "mod.ts"), pluginSource);
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await dropPluginDatabase(admin, PLUGIN);
  const host = await startHost({
    port: 0,
    hostname: "127.0.0.1",
    pluginsDir: join(work, "plugins"),
    dataDir: join(work, "data"),
    databaseUrl,
    logger: new Logger({ level: "warn", sink: (line) => console.error(line) }),
    env: {},
  });
  try {
    await host.started;
    const direct: number[] = [];
    const raw: number[] = [];
    const kysely: number[] = [];
    const transaction: number[] = [];
    const client = await admin.connect();
    try {
      for (let round = 0; round < rounds; round++) {
        const started = performance.now();
        for (let i = 0; i < n; i++) await client.query({ text: "select $1::int as n", values: [i], queryMode: "extended" } as pg.QueryConfig);
        direct.push(((performance.now() - started) * 1000) / n);
        raw.push(await plugin(host.url, `raw/${n}`));
        kysely.push(await plugin(host.url, `kysely/${n}`));
        transaction.push(await plugin(host.url, `transaction/${Math.round(n / 4)}`));
      }
    } finally {
      client.release();
    }
    return { direct: median(direct), raw: median(raw), kysely: median(kysely), transaction: median(transaction), n, rounds };
  } finally {
    await host.close("bench finished");
    await dropPluginDatabase(admin, PLUGIN);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}

async function plugin(url: string, path: string): Promise<number> {
  const res = await fetch(`${url}/plugins/${PLUGIN}/${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { us: number }).us;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h") || !process.env.DATABASE_URL) {
    console.log(HELP);
    process.exit(args.includes("--help") || args.includes("-h") ? 0 : 64);
  }
  const n = Number(args[args.indexOf("--n") + 1] ?? 0) || 2000;
  const r = await measureDbRoundtrip(process.env.DATABASE_URL, n);
  const line = (label: string, us: number) => console.log(`${label.padEnd(52)} ${us.toFixed(0).padStart(6)} µs`);
  console.log(`${n} sequential statements, median of 5 rounds, per statement:`);
  line("(a) node-postgres, extended protocol, from Node", r.direct);
  line("(b) sql`select $1::int` through a plugin's ctx.db", r.raw);
  line("(c) Kysely selectFrom().where() through ctx.db", r.kysely);
  line("(d) transaction: begin + insert + commit via ctx.db", r.transaction);
  console.log(`sandbox + protocol + host overhead per statement: ~${(r.raw - r.direct).toFixed(0)} µs`);
}
