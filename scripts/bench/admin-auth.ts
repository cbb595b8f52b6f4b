/**
 * `npm run bench:admin`: what the admin API's access control costs. A host (in this process,
 * no plugins) answers GET /admin/access/me for each kind of credential (bootstrap token, API
 * token, dashboard session: the latter two are a Postgres lookup by SHA-256), sequentially over
 * one keep-alive connection; plus the scrypt time of one password hash and one audit row insert.
 *
 * Usage: npm run bench:admin [-- --requests N]
 * Uses DATABASE_URL when set, else the embedded Postgres.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { Agent, request } from "undici";
import { AuditLog } from "../../host/admin/audit-log.ts";
import { hashPassword, verifyPassword } from "../../host/admin/passwords.ts";
import { startHost } from "../../host/host.ts";
import { Logger } from "../../host/logger.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: npm run bench:admin [-- --requests N]\n\nAdmin API authentication cost per credential kind, scrypt hashing, audit inserts.");
  process.exit(0);
}
const at = args.indexOf("--requests");
const REQUESTS = at >= 0 ? Number(args[at + 1]) : 2000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${percentile(sorted, 0.5).toFixed(3)} ms, p95 ${percentile(sorted, 0.95).toFixed(3)} ms (n=${ms.length})`;
};

const work = await mkdtemp(join(tmpdir(), "corral-bench-admin-"));
await mkdir(join(work, "plugins"));
const host = await startHost({
  port: 0, hostname: "127.0.0.1", pluginsDir: join(work, "plugins"), dataDir: join(work, "data"),
  databaseUrl: process.env.DATABASE_URL || undefined, logger: new Logger({ level: "warn" }), env: {},
});
await host.started;
const agent = new Agent({ connections: 1, pipelining: 1 });
const call = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
  const res = await request(`${host.url}${path}`, { method: method as "GET", headers, body, dispatcher: agent });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
};
const bootstrap = { authorization: `Bearer ${host.adminToken}` };
const name = `bench-${process.pid}`;
const password = "benchmark password";
await call("POST", "/admin/access/users", { ...bootstrap, "content-type": "application/json" }, JSON.stringify({ name, role: "viewer", password }));
const token = JSON.parse((await call("POST", "/admin/access/tokens", { ...bootstrap, "content-type": "application/json" },
  JSON.stringify({ name: "bench", role: "viewer" }))).text).token as string;
const form = await call("GET", "/admin/ui/login", {});
const loginCookie = /corral_admin_login=[^;]+/.exec(String(form.headers["set-cookie"]))![0];
const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
const login = await call("POST", "/admin/ui/login", { "content-type": "application/x-www-form-urlencoded", cookie: loginCookie },
  new URLSearchParams({ name, password, _csrf: csrf }).toString());
const session = /corral_admin_session=[^;]+/.exec(String(login.headers["set-cookie"]))![0];

const kinds: [string, Record<string, string>][] = [
  ["bootstrap token", bootstrap], ["API token", { authorization: `Bearer ${token}` }], ["session cookie", { cookie: session }],
];
const results: Record<string, number[]> = Object.fromEntries(kinds.map(([kind]) => [kind, []]));
for (let i = 0; i < 200; i++) for (const [, headers] of kinds) await call("GET", "/admin/access/me", headers); // warm-up
for (let i = 0; i < REQUESTS; i++) {
  for (const [kind, headers] of kinds) {
    const started = performance.now();
    const res = await call("GET", "/admin/access/me", headers);
    results[kind]!.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${kind}: ${res.status} ${res.text}`);
  }
}
console.log(`cpu: ${cpus()[0]?.model} x${cpus().length}`);
for (const [kind] of kinds) console.log(`GET /admin/access/me, ${kind}: ${summary(results[kind]!)}`);

const hashes: number[] = [];
const verifies: number[] = [];
for (let i = 0; i < 10; i++) {
  let started = performance.now();
  const stored = await hashPassword(password);
  hashes.push(performance.now() - started);
  started = performance.now();
  await verifyPassword(password, stored);
  verifies.push(performance.now() - started);
}
console.log(`scrypt hash (N=2^15, r=8, p=1): ${summary(hashes)}; verify: ${summary(verifies)}`);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const audit = new AuditLog(pool);
const inserts: number[] = [];
for (let i = 0; i < 500; i++) {
  const started = performance.now();
  await audit.record({ actor: name, role: "viewer", action: "POST /bench", plugin: null, details: { i }, status: 200, address: "127.0.0.1", requestId: null });
  inserts.push(performance.now() - started);
}
console.log(`audit row insert: ${summary(inserts)}`);
await pool.query("delete from corral.audit_log where actor = $1", [name]);
await pool.query("delete from corral.admin_users where name = $1", [name]);
await pool.query("delete from corral.admin_tokens where name = 'bench' and created_by = 'bootstrap'");
await pool.end();
await agent.close();
await host.close("bench done");
await rm(work, { recursive: true, force: true });
