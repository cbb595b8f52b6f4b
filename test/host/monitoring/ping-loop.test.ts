/** The ping loop: latency reported on pongs, one miss tolerated, two in a row reported once. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startPingLoop } from "../../../host/monitoring/ping-loop.ts";

/** A target that answers according to a script of booleans (then keeps answering the last). */
function scripted(answers: boolean[]) {
  const sent: number[] = [];
  return {
    sent,
    ping(timeoutMs: number): Promise<boolean> {
      sent.push(timeoutMs);
      return Promise.resolve(answers[Math.min(sent.length - 1, answers.length - 1)]!);
    },
  };
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 2));
    check();
  });
}

test("pongs report their latency and keep the loop going", async () => {
  const target = scripted([true]);
  const latencies: number[] = [];
  const stop = startPingLoop(target, { intervalMs: 1, timeoutMs: 50, onPong: (ms) => latencies.push(ms), onUnresponsive: () => assert.unreachable() });
  await until(() => latencies.length >= 3);
  stop();
  assert.ok(latencies.every((ms) => ms >= 0));
  assert.ok(target.sent.every((timeout) => timeout === 50), "each ping carries the timeout");
});

test("one missed ping is tolerated; a pong resets the count", async () => {
  const target = scripted([false, true, false, true, true]);
  let unresponsive = 0;
  const stop = startPingLoop(target, { intervalMs: 1, timeoutMs: 5, onUnresponsive: () => unresponsive++ });
  await until(() => target.sent.length >= 5);
  stop();
  assert.is(unresponsive, 0);
});

test("two misses in a row: reported once, with the interval and timeout, and the loop stops", async () => {
  const target = scripted([true, false, false]);
  const messages: string[] = [];
  startPingLoop(target, { intervalMs: 1, timeoutMs: 7, onUnresponsive: (message) => messages.push(message) });
  await until(() => messages.length > 0);
  const sentThen = target.sent.length;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(messages, ["missed 2 liveness pings in a row (every 1 ms, 7 ms to answer)"]);
  assert.is(target.sent.length, sentThen, "no ping after the verdict");
});

test("stop() before the first tick sends nothing", async () => {
  const target = scripted([true]);
  const stop = startPingLoop(target, { intervalMs: 5, timeoutMs: 5, onUnresponsive: () => {} });
  stop();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(target.sent.length, 0);
});

test.run();
