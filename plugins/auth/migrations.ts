/**
 * The auth plugin's tables, in its own Postgres schema. Passwords, session tokens and reset
 * tokens are stored only as hashes: a copy of the database does not sign anyone in.
 *
 * @module
 */

import type { PluginMigrations } from "@corral/sdk";
import { sql } from "kysely";

export const migrations: PluginMigrations = {
  "0001_auth": {
    async up(db) {
      await db.schema.createTable("users")
        .addColumn("id", "bigserial", (col) => col.primaryKey())
        .addColumn("name", "text", (col) => col.notNull().unique())
        .addColumn("password_hash", "text", (col) => col.notNull())
        .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable("user_roles")
        .addColumn("user_id", "bigint", (col) => col.notNull().references("users.id").onDelete("cascade"))
        .addColumn("role", "text", (col) => col.notNull())
        .addPrimaryKeyConstraint("user_roles_pk", ["user_id", "role"])
        .execute();
      await db.schema.createTable("sessions")
        .addColumn("token_hash", "text", (col) => col.primaryKey())
        .addColumn("user_id", "bigint", (col) => col.notNull().references("users.id").onDelete("cascade"))
        .addColumn("expires_at", "timestamptz", (col) => col.notNull())
        .execute();
      await db.schema.createTable("login_failures")
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("address", "text", (col) => col.notNull())
        .addColumn("at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex("login_failures_key").on("login_failures").columns(["name", "address", "at"]).execute();
      await db.schema.createTable("reset_tokens")
        .addColumn("token_hash", "text", (col) => col.primaryKey())
        .addColumn("user_id", "bigint", (col) => col.notNull().references("users.id").onDelete("cascade"))
        .addColumn("expires_at", "timestamptz", (col) => col.notNull())
        .execute();
    },
    async down(db) {
      for (const table of ["reset_tokens", "login_failures", "sessions", "user_roles", "users"]) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
  "0002_failures_by_address": {
    // The sign-in limit counts failures per client address too (the host gives handlers
    // c.env.request.clientAddress); the first index leads with the name.
    async up(db) {
      await db.schema.createIndex("login_failures_by_address").on("login_failures").columns(["address", "at"]).execute();
    },
    async down(db) {
      await db.schema.dropIndex("login_failures_by_address").execute();
    },
  },
};
