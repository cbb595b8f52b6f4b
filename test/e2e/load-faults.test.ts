// End to end, the short version of `npm run load:faults`: concurrent clients against three
// plugins for a few seconds while their deno processes are SIGKILLed at random. Every request gets
// a success or a clear 502/503/504 JSON error, none hangs past its timeout, and no Deno process
// outlives the host. (The memory check needs 100k requests: it is in the full run's numbers,
// docs/robustness.md.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runFaultLoad } from "../../scripts/load/fault-load.ts";
import { FIXTURES } from "../helpers/host.ts";

test("load with random SIGKILLs: every request answered clearly, none hung, no Deno process left", async () => {
  const report = await runFaultLoad({
    seconds: 10,
    connections: 16,
    killEveryMs: 400,
    clientTimeoutMs: 10_000,
    plugins: ["rob-load-a", "rob-load-b", "rob-load-c"].map((p) => `${FIXTURES}/${p}`),
  });
  const { rss: _rss, ...summary } = report;
  console.log(`load with faults: ${JSON.stringify(summary)}`);
  assert.ok(report.kills >= 5, `processes were killed (${report.kills})`);
  assert.ok(report.ok > 100, `requests succeeded between kills (${report.ok})`);
  assert.is(report.bad, 0, report.badSamples.join("\n"));
  assert.is(report.hung, 0, "no request hung past its timeout");
  assert.is(report.ok + report.bad + report.hung + Object.values(report.clearErrors).reduce((a, b) => a + b, 0), report.requests,
    "every request is accounted for");
  for (const code of Object.keys(report.clearErrors)) {
    assert.match(code, /^(502 CORRAL_E_PLUGIN_CRASHED|503 CORRAL_E_PLUGIN_(UNAVAILABLE|FAILED)|504 CORRAL_E_REQUEST_TIMEOUT)$/);
  }
  assert.equal(report.strayDenoPids, [], "no Deno process of this host is alive after it closed");
  assert.ok(report.liveByCommandLineBeforeClose >= 1, "the /proc scan finds this host's plugins while it runs");
  assert.equal(report.strayByCommandLine, [], "no process names this host's plugins folder");
});

test.run();
