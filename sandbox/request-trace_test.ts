/** Tests that statements sent while answering a traced request carry its trace context. @module */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import type { QueryMessage } from "../schemas/messages.ts";
import { databaseLink } from "./database-link.ts";
import { HostCalls } from "./host-calls.ts";
import { currentTraceparent, withRequestTrace } from "./request-trace.ts";

const A = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const B = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

Deno.test("request trace: the current context follows awaits, and two requests never see each other's", async () => {
  strictEqual(currentTraceparent(), undefined);
  const seen = await Promise.all([A, B].map((traceparent) =>
    withRequestTrace(traceparent, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return currentTraceparent();
    })
  ));
  deepStrictEqual(seen, [A, B]);
  strictEqual(withRequestTrace(undefined, () => currentTraceparent()), undefined);
  strictEqual(currentTraceparent(), undefined);
});

Deno.test("request trace: the database link tags queries with it, and only inside a traced request", async () => {
  const sent: QueryMessage[] = [];
  const calls = new HostCalls((frame) => {
    sent.push(frame as QueryMessage);
    queueMicrotask(() => calls.settle({ type: "queryResult", id: frame.id, rowsJson: "[]", rowCount: 0, command: "SELECT", transactionId: 0 }));
  });
  const link = databaseLink(calls);
  await withRequestTrace(A, async () => {
    await Promise.resolve();
    await link.query("select 1", "[]", 0);
  });
  await link.query("select 2", "[]", 0);
  strictEqual(sent[0]!.traceparent, A);
  strictEqual("traceparent" in sent[1]!, false);
});
