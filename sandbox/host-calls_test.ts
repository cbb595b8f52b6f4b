/** Tests of the runner's calls to the host: ids, replies, late replies, time limits. @module */

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { ErrorCode } from "../schemas/errors.ts";
import type { QueryMessage, TransactionMessage } from "../schemas/messages.ts";
import { HostCalls } from "./host-calls.ts";

const result = (id: number) => ({ type: "queryResult", id, rowsJson: "[]", rowCount: 0, command: "SELECT", transactionId: 0 }) as const;

Deno.test("host calls: ids start at 1 and grow; each answer goes to the call with its id", async () => {
  const sent: Array<{ id: number }> = [];
  const calls = new HostCalls((frame) => sent.push(frame));
  const first = calls.call({ type: "query", sql: "select 1", paramsJson: "[]", transactionId: 0 });
  const second = calls.call({ type: "transaction", action: "begin", transactionId: 0 });
  deepStrictEqual(sent.map((f) => f.id), [1, 2]);
  strictEqual(calls.settle({ ...result(2), transactionId: 7 }), true);
  strictEqual(calls.settle({ type: "error", id: 1, code: ErrorCode.DB_QUERY_FAILED, message: "no", sqlState: "42P01" }), true);
  deepStrictEqual(await second, { ...result(2), transactionId: 7 });
  deepStrictEqual(await first, { type: "error", id: 1, code: ErrorCode.DB_QUERY_FAILED, message: "no", sqlState: "42P01" });
  strictEqual(calls.pending, 0);
});

Deno.test("host calls: an answer to an id never used is refused; a late one is dropped", async () => {
  const calls = new HostCalls(() => {}, 20);
  strictEqual(calls.settle(result(1)), false, "no call was ever made");
  const late = calls.call({ type: "query", sql: "select pg_sleep(1)", paramsJson: "[]", transactionId: 0 });
  await rejects(late, (error: Error & { code?: string }) => {
    strictEqual(error.code, ErrorCode.DB_UNAVAILABLE);
    return /did not answer a query \(id 1\) within 20 ms/.test(error.message);
  });
  strictEqual(calls.settle(result(1)), true, "a late answer to a call that timed out is not a violation");
  strictEqual(calls.settle(result(2)), false, "id 2 was never used");
  strictEqual(calls.settle(result(0)), false);
});

Deno.test("host calls: close() fails waiting and later calls", async () => {
  const calls = new HostCalls(() => {});
  const waiting = calls.call({ type: "query", sql: "select 1", paramsJson: "[]", transactionId: 0 });
  calls.close("the session ended");
  await rejects(waiting, /call 1 abandoned: the session ended/);
  await rejects(calls.call({ type: "query", sql: "select 1", paramsJson: "[]", transactionId: 0 }), /cannot ask the host: the session ended/);
});

Deno.test("host calls: after id 2^32 - 1 the ids start again at 1", async () => {
  const sent: number[] = [];
  const calls = new HostCalls((frame) => sent.push(frame.id), 1000, 0xffff_fffe);
  const query = { type: "query", sql: "select 1", paramsJson: "[]", transactionId: 0 } as const;
  const last = calls.call(query);
  calls.settle(result(0xffff_ffff));
  await last;
  const waiting = calls.call(query); // id 1, left waiting
  calls.call(query).catch(() => {}); // id 2
  calls.settle(result(2));
  strictEqual(calls.settle(result(3)), true, "after the wrap every id has been used once");
  calls.settle(result(1));
  await waiting;
  deepStrictEqual(sent, [0xffff_ffff, 1, 2]);
  calls.close("done");
});
