import { test } from "uvu";
import * as assert from "uvu/assert";
import { ExpiredIds } from "../../../host/protocol/expired-ids.ts";

test("an expired id accepts exactly one late answer; other ids none", () => {
  const expired = new ExpiredIds();
  expired.add(5);
  assert.is(expired.take(5), true);
  assert.is(expired.take(5), false, "a second answer to the same id is not accepted");
  assert.is(expired.take(6), false, "an id that never expired is not accepted");
});

test("past its capacity the oldest id is forgotten first", () => {
  const expired = new ExpiredIds(2);
  expired.add(1);
  expired.add(2);
  expired.add(3);
  assert.is(expired.take(1), false);
  assert.is(expired.take(2), true);
  assert.is(expired.take(3), true);
});

test.run();
