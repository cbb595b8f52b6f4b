/** CpuWindow: CPU percent over a sliding window of cumulative CPU-time samples. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CpuWindow } from "../../../host/instances/cpu-window.ts";

test("no percent before two samples; then CPU time over wall time", () => {
  const window = new CpuWindow(1000);
  assert.is(window.add(0, 0), null);
  assert.is(window.add(200, 100), 50);
  assert.is(window.full, false);
});

test("only the last window counts: a burst long ago does not keep the percent high", () => {
  const window = new CpuWindow(1000);
  window.add(0, 0);
  window.add(500, 500); // a full core for half a second
  for (let t = 700; t <= 3000; t += 200) window.add(t, 500); // then nothing
  assert.is(window.full, true);
  assert.is(window.percent, 0);
});

test("a core kept busy through a whole window reads 100%, two cores 200%", () => {
  const one = new CpuWindow(1000);
  const two = new CpuWindow(1000);
  for (let t = 0; t <= 2000; t += 200) {
    one.add(t, t);
    two.add(t, 2 * t);
  }
  assert.is(one.percent, 100);
  assert.is(two.percent, 200);
  assert.ok(one.spanMs >= 1000 && one.spanMs <= 1200, `span ${one.spanMs}`);
});

test("a window that is not positive is refused", () => {
  assert.throws(() => new CpuWindow(0), /positive number of milliseconds/);
});

test.run();
