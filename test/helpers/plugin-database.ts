/**
 * For end-to-end database suites: a superuser view of the shared Postgres, to reset fixture
 * plugins' roles and schemas and to look at what plugins left behind.
 */
import type pg from "pg";
import { dropPluginDatabase, pluginDatabaseNames } from "../../host/db/provision.ts";
import { adminPool, requireDatabaseUrl } from "./database.ts";

/** The superuser pool on DATABASE_URL. */
export function openAdmin(suite: string): pg.Pool {
  return adminPool(requireDatabaseUrl(suite));
}

/**
 * Drops each plugin's schema and role, so a suite starts from nothing (role names are server-wide).
 * When the role still owns objects in another database of the server (another worktree's suite
 * ran the same plugin there), only this database's schema and grants go: the role is not ours to drop.
 */
export async function resetPluginDatabases(admin: pg.Pool, plugins: readonly string[]): Promise<void> {
  for (const plugin of plugins) {
    try {
      await dropPluginDatabase(admin, plugin);
    } catch (error) {
      if ((error as { code?: string }).code !== "2BP01" || !/objects? in database/.test((error as { detail?: string }).detail ?? "")) throw error;
      const { schema, role } = pluginDatabaseNames(plugin);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.query(`DROP OWNED BY "${role}"`);
    }
  }
}

/** The plugin's schema (= its role's name). */
export function schemaOf(plugin: string): string {
  return pluginDatabaseNames(plugin).schema;
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
    [pluginDatabaseNames(plugin).role],
  );
  return rows;
}
