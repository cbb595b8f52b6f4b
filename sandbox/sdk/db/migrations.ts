/**
 * Runs a plugin's migrations with Kysely's Migrator: on start (latest), and for the host's
 * `migrate` command (status, latest, down). Loaded on demand, like open.ts.
 *
 * @module
 */

import { Migrator, sql } from "kysely";
import type { Kysely, MigrationResult, MigrationResultSet } from "kysely";
import type { MigrateAction } from "../../../schemas/messages.ts";
import { describeMigrationGap } from "../../../schemas/migration-gap.ts";
import { MigrationError } from "./migration-error.ts";
import type { PluginMigrations } from "../types.ts";

/**
 * One migration Kysely ran (or meant to run) for a command.
 *
 * @example
 * ```ts
 * const undone: ExecutedMigration = { name: "0002_tags", direction: "down", status: "success" };
 * ```
 */
export interface ExecutedMigration {
  readonly name: string;
  readonly direction: "up" | "down";
  /** "not-executed": it was due but did not run, because an earlier one of the same run failed. */
  readonly status: "success" | "error" | "not-executed";
}

/**
 * The answer to the host's `migrate` command (`MigrateResult.resultJson`).
 *
 * @example
 * ```ts
 * const report: MigrateReport = { applied: ["0001_notes"], pending: ["0002_tags"], executed: [] };
 * ```
 */
export interface MigrateReport {
  /** Applied migrations, in name order, after the command. */
  readonly applied: readonly string[];
  /** Migrations not applied, in name order, after the command. */
  readonly pending: readonly string[];
  /** What this command ran; empty for "status". */
  readonly executed: readonly ExecutedMigration[];
}

/**
 * Reports (`status`), applies every pending migration (`latest`), or undoes the last applied one
 * (`down`). Migrations are applied in the order of their names; Kysely records them in the
 * `kysely_migration` table of the plugin's own schema (the first schema of its role's
 * search_path), and runs all that are due in one transaction under a per-plugin lock (adapter.ts),
 * so a failure leaves nothing half-applied and two processes never run one migration twice.
 *
 * @throws MigrationError naming the failing migration, with Postgres' message and SQLSTATE.
 *
 * @example
 * ```ts
 * const report = await runMigrations(db, { "0001_notes": { up: (db) => db.schema.createTable("notes").addColumn("id", "serial").execute() } }, "latest");
 * // { applied: ["0001_notes"], pending: [], executed: [{ name: "0001_notes", direction: "up", status: "success" }] }
 * ```
 */
export async function runMigrations(
  db: Kysely<unknown>,
  migrations: PluginMigrations,
  action: MigrateAction,
): Promise<MigrateReport> {
  try {
    return await run(db, migrations, action);
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`could not read the state of the migrations: ${describe(error)}`, undefined, sqlStateOf(error), {
      cause: error,
    });
  }
}

async function run(db: Kysely<unknown>, migrations: PluginMigrations, action: MigrateAction): Promise<MigrateReport> {
  const { schema, hasMigrationTable } = await ownSchema(db);
  // A first start has no migration table yet: asked for first, so that no statement fails on the
  // way (each failure counts as one of the plugin's database errors in /health).
  if (action === "latest" && hasMigrationTable) {
    const names = Object.keys(migrations);
    const applied = await appliedNames(db, schema);
    if (allApplied(applied, names)) return { applied: [...names].sort(), pending: [], executed: [] };
    refuseUnknownApplied(applied, names);
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    // Explicit, because Kysely otherwise takes the first kysely_migration table it can see in
    // any schema (another application's in `public`, say) as the plugin's own.
    migrationTableSchema: schema,
  });
  let executed: readonly ExecutedMigration[] = [];
  if (action === "latest") {
    executed = outcome(await migrator.migrateToLatest(), "applied");
  } else if (action === "down") {
    await assertUndoable(migrator);
    executed = outcome(await migrator.migrateDown(), "undone");
  }
  const all = await migrator.getMigrations();
  return {
    applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
    executed,
  };
}

/** The plugin's schema (the first on its role's search_path), and whether it holds the migration table. */
async function ownSchema(db: Kysely<unknown>): Promise<{ schema: string; hasMigrationTable: boolean }> {
  let row: { schema: string | null; has_table: boolean } | undefined;
  try {
    const result = await sql<{ schema: string | null; has_table: boolean }>`select current_schema() as schema,
      to_regclass(format('%I.kysely_migration', current_schema())) is not null as has_table`.execute(db);
    row = result.rows[0];
  } catch (error) {
    throw new MigrationError(`could not find the plugin's schema: ${describe(error)}`, undefined, sqlStateOf(error), { cause: error });
  }
  if (typeof row?.schema !== "string") {
    throw new MigrationError("the plugin's role has no schema on its search_path to keep migrations in", undefined, "");
  }
  return { schema: row.schema, hasMigrationTable: row.has_table };
}

/** The names of the applied migrations, sorted, from one read of the migration table. */
async function appliedNames(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(`${schema}.kysely_migration`)} order by name`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * Whether a start has nothing to do. Most starts are such starts: measured, answering it from one
 * read of the migration table takes a plugin's start from ~45 ms of Migrator bookkeeping (catalog
 * introspection, lock table, transaction) to ~2 ms.
 */
function allApplied(applied: readonly string[], names: readonly string[]): boolean {
  const set = new Set(applied);
  return set.size === names.length && names.every((name) => set.has(name));
}

/**
 * Refuses, before anything runs, to migrate a database that has migrations applied which this
 * version does not define (it is older than the database's schema). Kysely refuses too, naming
 * one; this names them all and lists the version's own, in the wording the host reads back
 * (schemas/migration-gap.ts).
 */
function refuseUnknownApplied(applied: readonly string[], names: readonly string[]): void {
  const defined = new Set(names);
  const missing = applied.filter((name) => !defined.has(name));
  if (missing.length === 0) return;
  throw new MigrationError(describeMigrationGap({ missing, defined: [...names].sort() }), missing[0], "");
}

/** Kysely's `migrateDown` silently skips a migration without `down`; say so instead. */
async function assertUndoable(migrator: Migrator): Promise<void> {
  const last = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).at(-1);
  if (last !== undefined && last.migration.down === undefined) {
    throw new MigrationError(`migration "${last.name}" cannot be undone: it has no down()`, last.name, "");
  }
}

function outcome(set: MigrationResultSet, verb: string): readonly ExecutedMigration[] {
  const executed = (set.results ?? []).map(toExecuted);
  if (set.error === undefined) return executed;
  const failed = set.results?.find((r) => r.status === "Error");
  const what = failed === undefined ? "migrations could not run" : `migration "${failed.migrationName}" failed`;
  const rolledBack = executed.length > 1
    ? `; none of the ${executed.length} migrations of this run was ${verb}: they run in one transaction`
    : "";
  throw new MigrationError(`${what}: ${describe(set.error)}${rolledBack}`, failed?.migrationName, sqlStateOf(set.error), {
    cause: set.error,
  });
}

function toExecuted(result: MigrationResult): ExecutedMigration {
  return {
    name: result.migrationName,
    direction: result.direction === "Up" ? "up" : "down",
    status: result.status === "Success" ? "success" : result.status === "Error" ? "error" : "not-executed",
  };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const state = sqlStateOf(error);
  return state === "" ? message : `${message} (SQLSTATE ${state})`;
}

/** A SQLSTATE is five digits or upper-case letters; other `code`s (Corral's, Node's) are not one. */
function sqlStateOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : "";
}
