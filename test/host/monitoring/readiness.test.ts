/** /health/ready's decision: started and not stopping; required plugins must be ready; others do not count. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readiness } from "../../../host/monitoring/readiness.ts";

const plugins = [{ name: "a", state: "ready" }, { name: "b", state: "failed" }];

test("ready once started, whatever other plugins' states", () => {
  assert.equal(readiness({ started: true, stopping: false, plugins }), { ready: true, status: "ready", notReady: [] });
});

test("starting before the first start of every plugin; stopping wins over everything", () => {
  assert.is(readiness({ started: false, stopping: false, plugins }).status, "starting");
  assert.is(readiness({ started: false, stopping: false, plugins }).ready, false);
  assert.equal(readiness({ started: true, stopping: true, plugins, required: "a" }).status, "stopping");
});

test("?plugins=: each required plugin must be ready; missing ones are named", () => {
  assert.is(readiness({ started: true, stopping: false, plugins, required: "a" }).ready, true);
  const answer = readiness({ started: true, stopping: false, plugins, required: " a, b ,zz," });
  assert.is(answer.ready, false);
  assert.equal(answer.notReady, [{ name: "b", state: "failed" }, { name: "zz", state: "missing" }]);
});

test.run();
