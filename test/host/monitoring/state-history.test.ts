/** The in-memory state history keeps the last N changes, oldest first, and hands out copies. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { StateHistory } from "../../../host/monitoring/state-history.ts";
import type { StateChange } from "../../../host/monitoring/state-history.ts";

const change = (n: number): StateChange => ({ at: new Date(n).toISOString(), from: "ready", to: "restarting", reason: `crash ${n}` });

test("keeps the newest `limit` changes, oldest first", () => {
  const history = new StateHistory(3);
  for (let n = 1; n <= 5; n++) history.record(change(n));
  assert.equal(history.list().map((c) => c.reason), ["crash 3", "crash 4", "crash 5"]);
});

test("list() is a copy: callers cannot change the record", () => {
  const history = new StateHistory();
  history.record(change(1));
  (history.list() as StateChange[]).push(change(2));
  assert.is(history.list().length, 1);
});

test.run();
