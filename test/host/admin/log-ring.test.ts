/** The per-plugin log ring (host/admin/log-ring.ts): bounded, newest first, levels, errors kept apart. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LogRing } from "../../../host/admin/log-ring.ts";
import { Logger } from "../../../host/logger.ts";
import type { Level, LogRecord } from "../../../host/logger.ts";

const record = (plugin: string | undefined, level: Level, message: string): LogRecord =>
  ({ time: new Date().toISOString(), level, message, ...(plugin === undefined ? {} : { plugin }) });

test("keeps each plugin's newest records, newest first, up to its size; host records are not kept", () => {
  const ring = new LogRing({ all: 3, problems: 2 });
  for (let i = 1; i <= 5; i++) ring.add(record("a", "info", `a${i}`));
  ring.add(record("b", "info", "b1"));
  ring.add(record(undefined, "error", "host"));
  assert.equal(ring.recent("a").map((r) => r.message), ["a5", "a4", "a3"]);
  assert.equal(ring.recent("a", { limit: 2 }).map((r) => r.message), ["a5", "a4"]);
  assert.equal(ring.recent("b").map((r) => r.message), ["b1"]);
  assert.equal(ring.recent("nobody"), []);
});

test("errors survive a flood of info records; level filters at and above", () => {
  const ring = new LogRing({ all: 3, problems: 2 });
  ring.add(record("a", "error", "e1"));
  ring.add(record("a", "warn", "w1"));
  for (let i = 0; i < 10; i++) ring.add(record("a", "info", `i${i}`));
  assert.equal(ring.recent("a", { level: "warn" }).map((r) => r.message), ["w1", "e1"]);
  assert.equal(ring.recent("a", { level: "error" }).map((r) => r.message), ["e1"]);
  assert.ok(ring.recent("a", { level: "info" }).every((r) => r.level === "info"));
});

test("large fields are cut; drop forgets a plugin", () => {
  const ring = new LogRing();
  ring.add({ ...record("a", "error", "big"), fields: { stack: "x".repeat(10_000) } });
  const kept = ring.recent("a")[0]!;
  assert.ok(JSON.stringify(kept.fields).length < 4100);
  ring.drop("a");
  assert.equal(ring.recent("a"), []);
});

test("Logger.onRecord hears forPlugin loggers, and stops after unsubscribing", () => {
  const logger = new Logger({ sink: () => undefined });
  const ring = new LogRing();
  const stop = logger.onRecord((r) => ring.add(r));
  logger.forPlugin("p").error("kept");
  logger.forPlugin("p").debug("below the logger's level");
  stop();
  logger.forPlugin("p").error("after");
  assert.equal(ring.recent("p").map((r) => r.message), ["kept"]);
});

test("fields whose JSON is long are cut, flat or nested; short ones are kept as they are", () => {
  const ring = new LogRing({ all: 5, problems: 5 });
  const short = { status: 200, path: "/plugins/a/", ok: true };
  ring.add({ ...record("a", "info", "short"), fields: short });
  ring.add({ ...record("a", "info", "flat"), fields: { text: "x".repeat(5000) } });
  ring.add({ ...record("a", "info", "nested"), fields: { inner: { text: "y".repeat(5000) } } });
  ring.add({ ...record("a", "info", "escapes"), fields: { text: "\u0000".repeat(800) } }); // 800 chars, 4800 of JSON
  const [escapes, nested, flat, kept] = ring.recent("a");
  assert.is(kept!.fields, short);
  for (const cut of [flat!, nested!, escapes!]) {
    const truncated = (cut.fields as { truncated: string }).truncated;
    assert.type(truncated, "string", cut.message);
    assert.ok(truncated.length <= 4001, cut.message);
  }
});

test.run();
