/** Tests of log record -> log frame. @module */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { fieldsToJson, toLogFrame } from "./log-frame.ts";

Deno.test("log frame: a record becomes a log frame with id 0 and its fields as JSON", () => {
  deepStrictEqual(toLogFrame({ level: "info", message: "hi", fields: { n: 1 }, timeMs: 5 }), {
    type: "log",
    id: 0,
    level: "info",
    message: "hi",
    fieldsJson: '{"n":1}',
    timeMs: 5,
  });
  strictEqual(toLogFrame({ level: "debug", message: "", timeMs: 0 }).fieldsJson, "");
});

Deno.test("log frame: errors keep name, message and stack; bigints become strings", () => {
  const error = new RangeError("too big");
  deepStrictEqual(JSON.parse(fieldsToJson({ error, n: 10n })), {
    error: { name: "RangeError", message: "too big", stack: error.stack },
    n: "10",
  });
});

Deno.test("log frame: fields that cannot be serialised are replaced by a note, never a throw", () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const parsed = JSON.parse(fieldsToJson({ cycle }));
  strictEqual(typeof parsed.fieldsError, "string");
});
