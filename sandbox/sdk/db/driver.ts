/**
 * Corral's Kysely driver: connections are handles on the host's pool for this plugin, and
 * transactions are begun, committed and rolled back with `transaction` frames.
 *
 * @module
 */

import { AbortedTransactionError, createQueryId, IdentifierNode, RawNode } from "kysely";
import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from "kysely";
import { HostConnection } from "./connection.ts";
import type { DatabaseLink } from "./link.ts";

/**
 * There is no pool here: the host pools the plugin's Postgres connections, so acquiring a
 * connection costs nothing and only a transaction holds a real one.
 *
 * @example
 * ```ts
 * const kysely = new Kysely<Database>({ dialect: new CorralDialect(link) }); // uses HostDriver
 * ```
 */
export class HostDriver implements Driver {
  readonly #link: DatabaseLink;

  constructor(link: DatabaseLink) {
    this.#link = link;
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new HostConnection(this.#link));
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await host(connection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // Postgres answers COMMIT with ROLLBACK when a statement had failed; Kysely wants to know.
    if (await host(connection).commit() === "ROLLBACK") throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await host(connection).rollback();
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]): Promise<void> {
    await connection.executeQuery(compile(savepointCommand("savepoint", name), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]): Promise<void> {
    await connection.executeQuery(compile(savepointCommand("rollback to", name), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler["compileQuery"]): Promise<void> {
    await connection.executeQuery(compile(savepointCommand("release", name), createQueryId()));
  }

  /** A transaction still open here was abandoned by its user: it must not hold a host connection. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await host(connection).rollback();
  }

  async destroy(): Promise<void> {}
}

function host(connection: DatabaseConnection): HostConnection {
  if (!(connection instanceof HostConnection)) throw new TypeError("HostDriver was handed a connection it did not make");
  return connection;
}

/** As Kysely's own drivers build it: the identifier node quotes the name. */
function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}
