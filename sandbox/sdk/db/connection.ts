/**
 * One Kysely connection of a plugin: sends each compiled statement to the host and, inside a
 * transaction, names the transaction so the host runs it on the one Postgres connection that
 * transaction holds.
 *
 * @module
 */

import { CompiledQuery } from "kysely";
import type { DatabaseConnection, QueryResult, TransactionSettings } from "kysely";
import { decodeRows, encodeSqlValues } from "../../../schemas/sql-values.ts";
import type { DatabaseLink } from "./link.ts";

/** Commands whose row count is the number of rows they changed, as node-postgres reports it. */
const AFFECTING: ReadonlySet<string> = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

/**
 * A handle, not a socket: the plugin process has no connection to Postgres of its own. Outside a
 * transaction each statement may run on any of the host's pooled connections for the plugin, so
 * session state (`SET`, session advisory locks) does not carry from one statement to the next;
 * inside one, every statement runs on the transaction's connection. Kysely's
 * `db.transaction().execute()` acquires one of these, begins, runs the callback's statements
 * through it and commits or rolls back: the host holds one Postgres connection for exactly that
 * long.
 *
 * @example
 * ```ts
 * const connection = new HostConnection(link);
 * await connection.begin({});
 * await connection.executeQuery(CompiledQuery.raw("insert into notes (title) values ($1)", ["hi"]));
 * await connection.commit();
 * ```
 */
export class HostConnection implements DatabaseConnection {
  readonly #link: DatabaseLink;
  #transactionId = 0;
  #runFirstInTransaction: CompiledQuery | undefined;

  constructor(link: DatabaseLink) {
    this.#link = link;
  }

  /** The host's id of the open transaction; 0 when none is open. */
  get transactionId(): number {
    return this.#transactionId;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const reply = await this.#link.query(
      compiledQuery.sql,
      encodeSqlValues(compiledQuery.parameters),
      this.#transactionId,
    );
    const rows = decodeRows(reply.rowsJson) as R[];
    return AFFECTING.has(reply.command) ? { numAffectedRows: BigInt(reply.rowCount), rows } : { rows };
  }

  // deno-lint-ignore require-yield
  async *streamQuery<R>(_compiledQuery: CompiledQuery, _chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    throw new Error(
      "stream() is not supported by Corral's database connection: the host sends a statement's rows in one " +
        "answer; page through large results with limit/offset or a keyset instead",
    );
  }

  /**
   * Runs `query` as the first statement of the next transaction this connection begins, or at
   * once when one is open. How the migration lock becomes transaction-scoped (see adapter.ts).
   */
  async runFirstInTransaction(query: CompiledQuery): Promise<void> {
    if (this.#transactionId !== 0) {
      await this.executeQuery(query);
      return;
    }
    this.#runFirstInTransaction = query;
  }

  /** Forgets a statement queued by {@linkcode runFirstInTransaction} that has not run yet. */
  cancelRunFirst(): void {
    this.#runFirstInTransaction = undefined;
  }

  /**
   * Begins a transaction on the host, then applies `settings` and the queued first statement in
   * it. When either fails, the transaction is rolled back before the error propagates: Kysely
   * only rolls back transactions whose begin succeeded.
   */
  async begin(settings: TransactionSettings): Promise<void> {
    if (this.#transactionId !== 0) {
      throw new Error(`this connection already has transaction ${this.#transactionId} open; Corral does not nest transactions (use savepoints)`);
    }
    const reply = await this.#link.transaction("begin", 0);
    this.#transactionId = reply.transactionId;
    const first = this.#runFirstInTransaction;
    this.#runFirstInTransaction = undefined;
    try {
      const mode = transactionMode(settings);
      if (mode !== "") await this.executeQuery(CompiledQuery.raw(`set transaction ${mode}`));
      if (first !== undefined) await this.executeQuery(first);
    } catch (error) {
      await this.rollback().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Commits. Resolves with Postgres' command tag: "ROLLBACK" when an earlier failure had
   * aborted the transaction (Postgres then rolls back instead). The connection is out of the
   * transaction afterwards whatever happens: the host forgets a transaction once asked to end it.
   */
  async commit(): Promise<string> {
    const id = this.#takeTransaction("commit");
    return (await this.#link.transaction("commit", id)).command;
  }

  /** Rolls back; a no-op when no transaction is open (e.g. after a commit that failed). */
  async rollback(): Promise<void> {
    if (this.#transactionId === 0) return;
    await this.#link.transaction("rollback", this.#takeTransaction("rollback"));
  }

  #takeTransaction(action: string): number {
    const id = this.#transactionId;
    if (id === 0) throw new Error(`cannot ${action}: this connection has no open transaction`);
    this.#transactionId = 0;
    return id;
  }
}

/** The `SET TRANSACTION` modes for Kysely's settings; "" for none. */
function transactionMode(settings: TransactionSettings): string {
  const parts: string[] = [];
  // Kysely validates both against its own lists of keywords before they get here.
  if (settings.isolationLevel !== undefined) parts.push(`isolation level ${settings.isolationLevel}`);
  if (settings.accessMode !== undefined) parts.push(settings.accessMode);
  return parts.join(", ");
}
