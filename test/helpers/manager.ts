/** Helpers for the plugin manager's suites: admin calls, /health entries, resetting decisions. */
import pg from "pg";
import type { ManagedHealth } from "../../host/manager/managed-plugin.ts";
import { requireDatabaseUrl } from "./database.ts";
import type { TestHost } from "./host.ts";

export interface AdminAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export async function adminPost(t: TestHost, path: string, body: unknown): Promise<AdminAnswer> {
  const res = await fetch(`${t.url}/admin${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.host.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export async function adminGet(t: TestHost, path: string): Promise<AdminAnswer> {
  const res = await fetch(`${t.url}/admin${path}`, { headers: { authorization: `Bearer ${t.host.adminToken}` } });
  return { status: res.status, json: await res.json() };
}

export function healthOf(t: TestHost, name: string): ManagedHealth {
  const plugin = t.host.health().plugins.find((p) => p.name === name);
  if (plugin === undefined) throw new Error(`${name} is not in /health`);
  return plugin as ManagedHealth;
}

export function openManagerAdmin(): pg.Pool {
  return new pg.Pool({ connectionString: requireDatabaseUrl("manager e2e"), max: 2 });
}

/** Drops what the manager remembers of these plugins (decisions, versions, files) so a run starts clean. */
export async function forgetManagerRows(admin: pg.Pool, names: readonly string[]): Promise<void> {
  const exists = await admin.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'corral' AND table_name = 'plugins'");
  if (exists.rowCount === 0) return;
  await admin.query("DELETE FROM corral.plugins WHERE name = ANY($1::text[])", [names]);
}
