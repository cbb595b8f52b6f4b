/** Tests for applying an afterRequest hook's header edits to an answer's flat header list. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyHeaderEdits, visiblePairs } from "../../../host/hooks/header-edits.ts";

test("set replaces every value of a name, remove drops them, the rest keeps its order", () => {
  const flat = ["Content-Type", "text/html", "set-cookie", "a=1", "x-old", "1", "set-cookie", "b=2", "vary", "accept"];
  const refused = applyHeaderEdits(flat, { remove: ["x-old"], set: [["set-cookie", "c=3"], ["set-cookie", "d=4"], ["x-new", "yes"]] });
  assert.equal(refused, []);
  assert.equal(flat, ["Content-Type", "text/html", "vary", "accept", "set-cookie", "c=3", "set-cookie", "d=4", "x-new", "yes"]);
});

test("host-owned headers can be neither seen nor changed", () => {
  const flat = ["content-length", "5", "date", "now", "x-a", "1"];
  assert.equal(visiblePairs(flat), [["x-a", "1"]]);
  const refused = applyHeaderEdits(flat, { remove: ["content-length"], set: [["date", "never"], ["transfer-encoding", "chunked"]] });
  assert.equal(refused.sort(), ["content-length", "date", "transfer-encoding"]);
  assert.equal(flat, ["content-length", "5", "date", "now", "x-a", "1"]);
});

test("no edits, no change", () => {
  const flat = ["x-a", "1"];
  applyHeaderEdits(flat, { remove: [], set: [] });
  assert.equal(flat, ["x-a", "1"]);
});

test.run();
