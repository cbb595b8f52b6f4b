/**
 * The registry's own schema `corral_registry` on the host's Postgres, brought up to date with
 * Kysely's Migrator (bookkeeping tables in the same schema, so the host's and the registry's
 * migrations never mix).
 */
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import type { Migration } from "kysely";
import type { Pool } from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

export const REGISTRY_SCHEMA = "corral_registry";

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createSchema(REGISTRY_SCHEMA).ifNotExists().execute();
    const r = db.withSchema(REGISTRY_SCHEMA);
    // Only a SHA-256 of each token is kept: a database dump does not give anyone a token.
    await r.schema.createTable("accounts")
      .addColumn("id", "serial", (col) => col.primaryKey())
      .addColumn("name", "text", (col) => col.notNull().unique())
      .addColumn("role", "text", (col) => col.notNull().check(sql`role in ('publisher', 'reviewer')`))
      .addColumn("token_hash", "text", (col) => col.notNull().unique())
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
    await r.schema.createTable("packages")
      .addColumn("name", "text", (col) => col.primaryKey())
      .addColumn("owner_id", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("description", "text", (col) => col.notNull().defaultTo(""))
      .addColumn("keywords", sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
    // No UPDATE of bytes/manifest anywhere in the code: a published version is immutable.
    await r.schema.createTable("versions")
      .addColumn("name", "text", (col) => col.notNull().references("packages.name"))
      .addColumn("version", "text", (col) => col.notNull())
      .addColumn("manifest", "jsonb", (col) => col.notNull())
      .addColumn("permissions", sql`text[]`, (col) => col.notNull())
      .addColumn("changelog", "text", (col) => col.notNull().defaultTo(""))
      .addColumn("bytes", "bytea", (col) => col.notNull())
      .addColumn("sha256", "text", (col) => col.notNull())
      .addColumn("signature", "text", (col) => col.notNull())
      .addColumn("public_key", "text", (col) => col.notNull())
      .addColumn("published_by", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("published_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("review_status", "text", (col) => col.notNull().defaultTo("unreviewed")
        .check(sql`review_status in ('unreviewed', 'approved', 'rejected')`))
      .addColumn("review_note", "text")
      .addColumn("reviewed_by", "integer", (col) => col.references("accounts.id"))
      .addColumn("reviewed_at", "timestamptz")
      .addPrimaryKeyConstraint("versions_pkey", ["name", "version"])
      .execute();
    await r.schema.createTable("reviews")
      .addColumn("name", "text", (col) => col.notNull().references("packages.name"))
      .addColumn("account_id", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("rating", "integer", (col) => col.notNull().check(sql`rating between 1 and 5`))
      .addColumn("body", "text", (col) => col.notNull().defaultTo(""))
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint("reviews_pkey", ["name", "account_id"])
      .execute();
    await r.schema.createTable("advisories")
      .addColumn("id", "serial", (col) => col.primaryKey())
      .addColumn("name", "text", (col) => col.notNull().references("packages.name"))
      .addColumn("affected", "text", (col) => col.notNull())
      .addColumn("severity", "text", (col) => col.notNull().check(sql`severity in ('low', 'moderate', 'high', 'critical')`))
      .addColumn("title", "text", (col) => col.notNull())
      .addColumn("body", "text", (col) => col.notNull().defaultTo(""))
      .addColumn("created_by", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
    await r.schema.createTable("threads")
      .addColumn("id", "serial", (col) => col.primaryKey())
      .addColumn("name", "text", (col) => col.notNull().references("packages.name"))
      .addColumn("kind", "text", (col) => col.notNull().check(sql`kind in ('issue', 'feature')`))
      .addColumn("title", "text", (col) => col.notNull())
      .addColumn("body", "text", (col) => col.notNull().defaultTo(""))
      .addColumn("status", "text", (col) => col.notNull().defaultTo("open")
        .check(sql`status in ('open', 'planned', 'closed')`))
      .addColumn("author_id", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
    await r.schema.createTable("comments")
      .addColumn("id", "serial", (col) => col.primaryKey())
      .addColumn("thread_id", "integer", (col) => col.notNull().references("threads.id"))
      .addColumn("author_id", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("body", "text", (col) => col.notNull())
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    const r = db.withSchema(REGISTRY_SCHEMA);
    for (const table of ["comments", "threads", "advisories", "reviews", "versions", "packages", "accounts"]) {
      await r.schema.dropTable(table).execute();
    }
  },
};

/**
 * Publishes carry real `.corral` packages: each version records the id of the key that signed its
 * file list (what a host's trusted-keys/ file goes by).
 */
const signerKey: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.withSchema(REGISTRY_SCHEMA).schema.alterTable("versions")
      .addColumn("key_id", "text", (col) => col.notNull().defaultTo("")).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.withSchema(REGISTRY_SCHEMA).schema.alterTable("versions").dropColumn("key_id").execute();
  },
};

/**
 * A plugin's signing key is pinned: `packages.key_id` is the key a new version must be signed by
 * (its first version's, until the owner rotates), and `key_changes` records every rotation.
 * Plugins published before this take their first version's key.
 */
const keyPinning: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const r = db.withSchema(REGISTRY_SCHEMA);
    await r.schema.alterTable("packages").addColumn("key_id", "text", (col) => col.notNull().defaultTo("")).execute();
    await sql`update ${sql.id(REGISTRY_SCHEMA, "packages")} p set key_id = coalesce((select v.key_id from ${sql.id(REGISTRY_SCHEMA, "versions")} v
      where v.name = p.name order by v.published_at, v.version limit 1), '')`.execute(db);
    await r.schema.createTable("key_changes")
      .addColumn("id", "serial", (col) => col.primaryKey())
      .addColumn("name", "text", (col) => col.notNull().references("packages.name").onDelete("cascade"))
      .addColumn("from_key_id", "text", (col) => col.notNull())
      .addColumn("to_key_id", "text", (col) => col.notNull())
      .addColumn("version", "text", (col) => col.notNull())
      .addColumn("changed_by", "integer", (col) => col.notNull().references("accounts.id"))
      .addColumn("changed_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    const r = db.withSchema(REGISTRY_SCHEMA);
    await r.schema.dropTable("key_changes").execute();
    await r.schema.alterTable("packages").dropColumn("key_id").execute();
  },
};

/** The registry's migrations in order; a name, once shipped, never changes. */
export const REGISTRY_MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  "0001-registry": initial, "0002-signer-key": signerKey, "0003-key-pinning": keyPinning,
});

/** Applies every pending registry migration (Kysely's advisory lock makes two registries safe). */
export async function migrateRegistry(pool: Pool): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const migrator = new Migrator({
    db, provider: { getMigrations: async () => ({ ...REGISTRY_MIGRATIONS }) }, migrationTableSchema: REGISTRY_SCHEMA,
  });
  // Kysely creates its bookkeeping tables before the first migration runs, so the schema must exist.
  await sql`create schema if not exists ${sql.id(REGISTRY_SCHEMA)}`.execute(db);
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "?";
    throw new CorralError(ErrorCode.MIGRATION_FAILED,
      `registry migration "${failed}" failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
