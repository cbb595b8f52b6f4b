/** Tests for the request id: kept when sane, made otherwise. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requestIdFor } from "../../../../host/http/middleware/request-id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a sane incoming id is kept", () => {
  for (const id of ["a", "req-42", "0b7c.edge:3_x", "x".repeat(128), "ABCxyz019._:-"]) assert.is(requestIdFor(id), id);
});

test("a missing, empty, long or odd id is replaced by a new UUID", () => {
  for (const id of [undefined, "", "x".repeat(129), "has space", "tab\t", "semi;colon", "quote\"", "slash/", "ü", ["a", "b"]]) {
    assert.match(requestIdFor(id), UUID, JSON.stringify(id));
  }
  assert.is.not(requestIdFor(undefined), requestIdFor(undefined));
});

test.run();
