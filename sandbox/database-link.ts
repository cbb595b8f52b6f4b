/**
 * The plugin's database as the SDK's Kysely driver sees it, made of the runner's calls to the
 * host: `query` and `transaction` frames out, `queryResult` or `error` frames back.
 *
 * @module
 */

import type { CorralError } from "../schemas/errors.ts";
import type { HostCall, HostCalls, HostReply } from "./host-calls.ts";
import { currentTraceparent } from "./request-trace.ts";
import { DatabaseError } from "./sdk/db/database-error.ts";
import type { DatabaseLink, LinkReply } from "./sdk/db/link.ts";

/**
 * A {@linkcode DatabaseLink} over `calls`. An `error` answer becomes a `DatabaseError` whose
 * `code` is Postgres' SQLSTATE, or the host's Corral code when Postgres sent none.
 *
 * @example
 * ```ts
 * const db = openDatabase<Database>(databaseLink(calls));
 * ```
 */
export function databaseLink(calls: HostCalls): DatabaseLink {
  return {
    query: (sql, paramsJson, transactionId) => {
      // Statements sent while answering a traced request carry its trace context to the host.
      const traceparent = currentTraceparent();
      return ask(calls, { type: "query", sql, paramsJson, transactionId, ...(traceparent === undefined ? {} : { traceparent }) });
    },
    transaction: (action, transactionId) => ask(calls, { type: "transaction", action, transactionId }),
  };
}

async function ask(calls: HostCalls, call: HostCall): Promise<LinkReply> {
  let reply: HostReply;
  try {
    reply = await calls.call(call);
  } catch (error) {
    // No answer in time, or the session ended: the same kind of error, so plugins catch one class.
    const corral = error as CorralError;
    throw new DatabaseError(corral.message, corral.code, corral.code);
  }
  if (reply.type === "error") {
    throw new DatabaseError(reply.message, reply.sqlState || reply.code, reply.code);
  }
  if (reply.type !== "queryResult") {
    throw new DatabaseError(`the host answered a database call with "${reply.type}"`, "CORRAL_E_PROTOCOL_VIOLATION", "CORRAL_E_PROTOCOL_VIOLATION");
  }
  const { rowsJson, rowCount, command, transactionId } = reply;
  return { rowsJson, rowCount, command, transactionId };
}
