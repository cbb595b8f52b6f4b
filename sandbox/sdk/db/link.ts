/**
 * What Corral's Kysely driver needs from the plugin process: a way to run statements and
 * transaction steps on the host, which holds the plugin's real Postgres connections.
 *
 * @module
 */

import type { QueryResultMessage, TransactionAction } from "../../../schemas/messages.ts";

/**
 * The host's answer to a statement or a transaction step, as the `queryResult` frame carries it.
 *
 * @example
 * ```ts
 * const reply: LinkReply = { rowsJson: '[{"id":"1"}]', rowCount: 1, command: "INSERT", transactionId: 0 };
 * ```
 */
export type LinkReply = Omit<QueryResultMessage, "type" | "id">;

/**
 * The plugin's database as seen through the protocol. The runner implements it over fd 3
 * (`query` and `transaction` frames); tests implement it with a fake. Both methods reject with a
 * {@linkcode DatabaseError} when the host or Postgres refuses.
 *
 * @example
 * ```ts
 * const link: DatabaseLink = {
 *   query: async () => ({ rowsJson: '[{"one":1}]', rowCount: 1, command: "SELECT", transactionId: 0 }),
 *   transaction: async (action) => ({ rowsJson: "[]", rowCount: -1, command: action.toUpperCase(), transactionId: 1 }),
 * };
 * ```
 */
export interface DatabaseLink {
  /**
   * Runs one statement. `paramsJson` is in the typed-value encoding of schemas/sql-values.ts;
   * `transactionId` is 0 outside a transaction (any pooled connection) or the id `begin` gave.
   */
  query(sql: string, paramsJson: string, transactionId: number): Promise<LinkReply>;
  /** Begins (`transactionId` 0; the reply holds the new id), commits or rolls back a transaction. */
  transaction(action: TransactionAction, transactionId: number): Promise<LinkReply>;
}
