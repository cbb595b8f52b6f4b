import { test } from "uvu";
import * as assert from "uvu/assert";
import { LogRateLimit } from "../../host/log-rate-limit.ts";

function limiter(reports: number[], clock: { now: number }) {
  return new LogRateLimit({ perSecond: 10, burst: 5, floodAfterDropped: 20, onDropped: (n) => reports.push(n), now: () => clock.now });
}

test("the burst is admitted, then records are dropped until the bucket refills at the rate", () => {
  const reports: number[] = [];
  const clock = { now: 0 };
  const limit = limiter(reports, clock);
  const verdicts = Array.from({ length: 7 }, () => limit.admit());
  assert.equal(verdicts, ["log", "log", "log", "log", "log", "drop", "drop"]);
  clock.now += 100; // one token at 10 per second
  assert.is(limit.admit(), "log");
  assert.is(limit.admit(), "drop");
  limit.flush();
  assert.equal(reports, [3], "the drops are reported once, with their count");
  limit.flush();
  assert.equal(reports, [3], "nothing dropped since: no second report");
});

test("a plugin far past the limit within one report period is a flood", () => {
  const reports: number[] = [];
  const limit = limiter(reports, { now: 0 });
  const verdicts = Array.from({ length: 5 + 21 }, () => limit.admit());
  assert.is(verdicts.at(-2), "drop");
  assert.is(verdicts.at(-1), "flood");
  limit.flush();
});

test.run();
