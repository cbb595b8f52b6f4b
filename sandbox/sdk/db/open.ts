/**
 * Makes a plugin's `ctx.db`. Loaded on demand, so that plugins without a database never load
 * Kysely (measured: ~20–30 ms of a plugin's start).
 *
 * @module
 */

import { Kysely } from "kysely";
import { CorralDialect } from "./dialect.ts";
import type { DatabaseLink } from "./link.ts";

/**
 * A Kysely instance whose statements go to the host over `link`.
 *
 * @example
 * ```ts
 * const db = openDatabase<Database>(link);
 * const notes = await db.selectFrom("notes").selectAll().execute();
 * ```
 */
export function openDatabase<DB>(link: DatabaseLink): Kysely<DB> {
  return new Kysely<DB>({ dialect: new CorralDialect(link) });
}
