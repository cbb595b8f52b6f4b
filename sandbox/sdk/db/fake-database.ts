/**
 * A stand-in database for plugin tests without Postgres: a real `Kysely<DB>` with Corral's own
 * dialect, whose statements go to a function of the test instead of the host.
 *
 * @module
 */

import type { Kysely } from "kysely";
import { decodeSqlValues, encodeRows } from "../../../schemas/sql-values.ts";
import type { TransactionAction } from "../../../schemas/messages.ts";
import type { DatabaseLink, LinkReply } from "./link.ts";
import { openDatabase } from "./open.ts";

/**
 * One statement the plugin sent, as the host would receive it (parameters through the same
 * typed-value JSON). Transaction steps appear as statements "begin", "commit" and "rollback".
 *
 * @example
 * ```ts
 * const query: FakeQuery = { sql: 'select * from "notes" where "id" = $1', parameters: ["1"], transactionId: 0 };
 * ```
 */
export interface FakeQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /** The transaction the statement ran in; 0 outside one. */
  readonly transactionId: number;
}

/**
 * What a {@linkcode FakeResponder} answers: rows, and for INSERT/UPDATE/DELETE optionally how
 * many rows changed (default: the number of rows returned).
 *
 * @example
 * ```ts
 * const result: FakeResult = { rows: [], rowCount: 3 };
 * ```
 */
export interface FakeResult {
  readonly rows?: readonly Readonly<Record<string, unknown>>[];
  readonly rowCount?: number;
}

/**
 * Answers one statement: rows, a {@linkcode FakeResult}, or nothing (no rows). A throw fails the
 * statement; throw a `DatabaseError` to act as Postgres would (e.g. code "23505").
 *
 * @example
 * ```ts
 * const respond: FakeResponder = (query) => query.sql.startsWith("select") ? [{ id: "1", title: "a" }] : undefined;
 * ```
 */
export type FakeResponder = (
  query: FakeQuery,
) =>
  | readonly Readonly<Record<string, unknown>>[]
  | FakeResult
  | void
  | Promise<readonly Readonly<Record<string, unknown>>[] | FakeResult | void>;

/**
 * A fake database: the Kysely instance to hand to the plugin, and what it was sent.
 *
 * @example
 * ```ts
 * import { fakeDatabase } from "@corral/sdk/testing";
 *
 * const fake = fakeDatabase(() => [{ count: "2" }]);
 * console.log(fake.log.length); // 0 until the plugin runs a statement
 * ```
 */
export interface FakeDatabase<DB> {
  readonly db: Kysely<DB>;
  /** Every statement and transaction step so far, oldest first. */
  readonly log: readonly FakeQuery[];
}

/**
 * Makes a {@linkcode FakeDatabase}. Statements are compiled by Kysely exactly as in production
 * (Postgres SQL with `$1` placeholders), and parameters and rows travel through the same
 * typed-value JSON as between the runner and the host, so the plugin sees the same types
 * (`Date`, `Uint8Array`, strings for int8). Pass it to `testPlugin()` as `db`, with
 * `migrate: false` (the fake cannot run migrations).
 *
 * @param respond Answers each statement; by default every statement returns no rows.
 *
 * @example
 * ```ts
 * import { fakeDatabase, testPlugin } from "@corral/sdk/testing";
 * import plugin, { type Database } from "./mod.ts";
 *
 * const fake = fakeDatabase<Database>((query) => query.sql.startsWith("select") ? [{ id: "1", title: "hi" }] : []);
 * await using running = await testPlugin(plugin, { db: fake.db, migrate: false });
 * const response = await running.fetch("/notes/1");
 * console.log(await response.json(), fake.log.map((q) => q.sql));
 * ```
 */
export function fakeDatabase<DB>(respond: FakeResponder = () => undefined): FakeDatabase<DB> {
  const log: FakeQuery[] = [];
  let lastTransaction = 0;
  const link: DatabaseLink = {
    async query(sql, paramsJson, transactionId) {
      const query: FakeQuery = Object.freeze({ sql, parameters: decodeSqlValues(paramsJson), transactionId });
      log.push(query);
      const answer = await respond(query);
      const result: FakeResult = answer === undefined ? {} : Array.isArray(answer) ? { rows: answer } : answer as FakeResult;
      const rows = result.rows ?? [];
      return { rowsJson: encodeRows(rows), rowCount: result.rowCount ?? rows.length, command: commandOf(sql), transactionId: 0 };
    },
    transaction(action: TransactionAction, transactionId): Promise<LinkReply> {
      const id = action === "begin" ? ++lastTransaction : transactionId;
      log.push(Object.freeze({ sql: action, parameters: [], transactionId: id }));
      return Promise.resolve({ rowsJson: "[]", rowCount: -1, command: action.toUpperCase(), transactionId: id });
    },
  };
  return { db: openDatabase<DB>(link), log };
}

/** Roughly the command tag Postgres would answer with: the statement's verb, upper-cased. */
function commandOf(sql: string): string {
  const first = (/^\s*(\w+)/.exec(sql)?.[1] ?? "").toUpperCase();
  if (first !== "WITH") return first;
  return (/\b(insert|update|delete|merge)\b/i.exec(sql)?.[1] ?? "select").toUpperCase();
}
