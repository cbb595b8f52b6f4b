/**
 * The Kysely dialect of a Corral plugin: Postgres' SQL, compiled in the plugin process and run by
 * the host on the plugin's own role.
 *
 * @module
 */

import { PostgresIntrospector, PostgresQueryCompiler } from "kysely";
import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from "kysely";
import { CorralAdapter } from "./adapter.ts";
import { HostDriver } from "./driver.ts";
import type { DatabaseLink } from "./link.ts";

/**
 * Postgres' query compiler and introspector, Corral's adapter (a per-plugin migration lock) and
 * a driver that sends every statement to the host over `link`.
 *
 * @example
 * ```ts
 * import { Kysely } from "kysely";
 *
 * const db = new Kysely<Database>({ dialect: new CorralDialect(link) });
 * ```
 */
export class CorralDialect implements Dialect {
  readonly #link: DatabaseLink;

  constructor(link: DatabaseLink) {
    this.#link = link;
  }

  createDriver(): Driver {
    return new HostDriver(this.#link);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new CorralAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
