/**
 * For end-to-end database suites: a superuser view of the shared Postgres, to reset fixture
 * plugins' roles and schemas and to look at what plugins left behind.
 */
import type pg from "pg";
import { currentDatabaseTag, dropPluginDatabase, legacyRoleName, pluginDatabaseNames } from "../../host/db/provision.ts";
import { adminPool, requireDatabaseUrl } from "./database.ts";

/** The superuser pool on DATABASE_URL. */
export function openAdmin(suite: string): pg.Pool {
  return adminPool(requireDatabaseUrl(suite));
}

/**
 * Drops each plugin's schema and role in this database, so a suite starts from nothing. Role names
 * carry the database's tag, so another database's role for the same plugin (another worktree's
 * suite on the same server) is left alone; an old-style role shared with one loses only its CONNECT here.
 */
export async function resetPluginDatabases(admin: pg.Pool, plugins: readonly string[]): Promise<void> {
  for (const plugin of plugins) await dropPluginDatabase(admin, plugin);
}

/** The plugin's schema. */
export function schemaOf(plugin: string): string {
  return legacyRoleName(plugin);
}

/** The role a plugin gets in the admin pool's database: `plugin_<name>_<tag of this database>`. */
export async function roleOf(admin: pg.Pool, plugin: string): Promise<string> {
  return pluginDatabaseNames(plugin, await currentDatabaseTag(admin)).role;
}

/** The tables in the plugin's schema, sorted. */
export async function tablesOf(admin: pg.Pool, plugin: string): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
    [schemaOf(plugin)],
  );
  return rows.map((r) => r.name);
}

/** The migrations Kysely recorded in the plugin's own schema, by name, with their timestamps. */
export async function recordedMigrations(admin: pg.Pool, plugin: string): Promise<Array<{ name: string; timestamp: string }>> {
  const { rows } = await admin.query<{ name: string; timestamp: string }>(
    `SELECT name, timestamp FROM "${schemaOf(plugin)}".kysely_migration ORDER BY name`,
  );
  return rows;
}

/** The plugin role's sessions, with their state ("idle", "active", "idle in transaction"...). */
export async function sessionsOf(admin: pg.Pool, plugin: string): Promise<Array<{ pid: number; state: string | null }>> {
  const { rows } = await admin.query<{ pid: number; state: string | null }>(
    "SELECT pid, state FROM pg_stat_activity WHERE usename = $1",
    [await roleOf(admin, plugin)],
  );
  return rows;
}
