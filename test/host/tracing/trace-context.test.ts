/** Tests for reading W3C trace context from clients strictly. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatTraceparent, incomingTraceHeaders, parseTraceparent } from "../../../host/tracing/trace-context.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

test("a valid traceparent is read into its parts and written back the same", () => {
  const parsed = parseTraceparent(VALID)!;
  assert.equal(parsed, { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 });
  assert.is(formatTraceparent(parsed.traceId, parsed.spanId, parsed.traceFlags), VALID);
  assert.is(formatTraceparent(parsed.traceId, parsed.spanId, 0), VALID.replace(/01$/, "00"));
});

test("malformed ones are refused: zero ids, version ff, upper case, wrong lengths, extra fields on version 00", () => {
  for (const bad of [
    undefined, "", "garbage",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
  ]) assert.is(parseTraceparent(bad), undefined, String(bad));
  assert.ok(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"), "later versions may add fields");
});

test("incomingTraceHeaders: the client's context when valid, tracestate with it when sane", () => {
  assert.equal(incomingTraceHeaders({ traceparent: VALID, tracestate: "a=1,b=2" }), { traceparent: VALID, tracestate: "a=1,b=2" });
  assert.equal(incomingTraceHeaders({ traceparent: VALID }), { traceparent: VALID });
  assert.equal(incomingTraceHeaders({ traceparent: VALID, tracestate: "x".repeat(513) }), { traceparent: VALID }, "an oversized tracestate is dropped");
  assert.is(incomingTraceHeaders({ tracestate: "a=1" }), undefined);
  assert.is(incomingTraceHeaders({ traceparent: [VALID, VALID] }), undefined, "a repeated header is ambiguous");
  assert.is(incomingTraceHeaders({ traceparent: "nope" }), undefined);
});

test.run();
