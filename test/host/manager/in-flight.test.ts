import { test } from "uvu";
import * as assert from "uvu/assert";
import { InFlight } from "../../../host/manager/in-flight.ts";

test("idle resolves at once with nothing in flight, and when the last one leaves", async () => {
  const counter = new InFlight();
  assert.is(await counter.idle(10), true);
  let release!: () => void;
  const work = counter.run(() => new Promise<void>((r) => (release = r)));
  assert.is(counter.count, 1);
  const idle = counter.idle(5000);
  release();
  await work;
  assert.is(await idle, true);
  assert.is(counter.count, 0);
});

test("idle gives up after its timeout while work is still in flight", async () => {
  const counter = new InFlight();
  counter.enter();
  assert.is(await counter.idle(20), false);
  counter.leave();
});

test("a failing piece of work is still counted out", async () => {
  const counter = new InFlight();
  await counter.run(() => Promise.reject(new Error("boom"))).catch(() => undefined);
  assert.is(counter.count, 0);
});

test.run();
