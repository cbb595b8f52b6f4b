/**
 * Host migration 0003: who may use the admin API and the dashboard, and what they did.
 * Credentials are stored only as hashes: a scrypt hash per password (own salt), a SHA-256 per
 * API token and per dashboard session id; the plaintext is shown once and never kept.
 */
import { sql } from "kysely";
import type { Kysely, Migration } from "kysely";

const ROLES = sql`('admin', 'operator', 'viewer')`;

/** Creates corral.admin_users, corral.admin_tokens, corral.admin_sessions and corral.audit_log. */
export const access: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const corral = db.withSchema("corral");

    await corral.schema.createTable("admin_users")
      .addColumn("name", "text", (col) => col.primaryKey())
      .addColumn("role", "text", (col) => col.notNull().check(sql`role in ${ROLES}`))
      // "scrypt$N$r$p$<salt base64>$<hash base64>": the parameters travel with the hash.
      .addColumn("password_hash", "text", (col) => col.notNull())
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("created_by", "text", (col) => col.notNull())
      .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();

    // A token either has its own role or acts as its owner (and follows the owner's role).
    await corral.schema.createTable("admin_tokens")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("name", "text", (col) => col.notNull())
      .addColumn("role", "text", (col) => col.check(sql`role in ${ROLES}`))
      .addColumn("owner", "text", (col) => col.references("admin_users.name").onDelete("cascade"))
      .addColumn("token_hash", "text", (col) => col.notNull().unique())
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("created_by", "text", (col) => col.notNull())
      .addColumn("last_used_at", "timestamptz")
      .addColumn("expires_at", "timestamptz")
      .addColumn("revoked_at", "timestamptz")
      .addCheckConstraint("admin_tokens_role_or_owner", sql`(role is null) <> (owner is null)`)
      .execute();

    await corral.schema.createTable("admin_sessions")
      .addColumn("id_hash", "text", (col) => col.primaryKey())
      .addColumn("user_name", "text", (col) => col.notNull().references("admin_users.name").onDelete("cascade"))
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("expires_at", "timestamptz", (col) => col.notNull())
      .execute();

    // No foreign keys: the record outlives the users, tokens and plugins it names.
    await corral.schema.createTable("audit_log")
      .addColumn("id", "bigserial", (col) => col.primaryKey())
      .addColumn("at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("actor", "text")
      .addColumn("role", "text")
      .addColumn("action", "text", (col) => col.notNull())
      .addColumn("plugin", "text")
      .addColumn("details", "jsonb", (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn("status", "integer", (col) => col.notNull())
      .addColumn("address", "text")
      .addColumn("request_id", "text")
      .execute();
    await corral.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
    await corral.schema.createIndex("audit_log_plugin_at").on("audit_log").columns(["plugin", "at"]).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    const corral = db.withSchema("corral");
    await corral.schema.dropTable("audit_log").execute();
    await corral.schema.dropTable("admin_sessions").execute();
    await corral.schema.dropTable("admin_tokens").execute();
    await corral.schema.dropTable("admin_users").execute();
  },
};
