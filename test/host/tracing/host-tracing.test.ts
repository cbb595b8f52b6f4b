/** Tests for the host's statement spans: parented on the runner's tag, none without one, bounded names. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { HostTracing, operationOf } from "../../../host/tracing/host-tracing.ts";

const CONFIG = { url: "http://unused/v1/traces", headers: {}, serviceName: "test", scheduleDelayMs: 10, sampler: { name: "parentbased_always_on", ratio: 1 } } as const;
const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

test("a statement's span is a child of the context the runner tagged it with; failures carry the code", async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new HostTracing(CONFIG, "0.1.0", exporter);
  tracing.querySpan("notes", "  insert into notes (body) values ($1)", PARENT)!();
  tracing.querySpan("notes", "select * from nope", PARENT)!("42P01");
  await tracing.flush();
  const [ok, failed] = exporter.getFinishedSpans();
  assert.is(ok!.name, "INSERT");
  assert.is(ok!.spanContext().traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.is(ok!.parentSpanContext?.spanId, "00f067aa0ba902b7");
  assert.is(ok!.attributes["db.query.text"], "  insert into notes (body) values ($1)");
  assert.is(ok!.attributes["corral.plugin"], "notes");
  assert.is(failed!.attributes["error.type"], "42P01");
  assert.is(failed!.status.code, 2);
  await tracing.shutdown();
});

test("no span for a statement outside a request, or with a malformed tag", () => {
  const tracing = new HostTracing(CONFIG, "0.1.0", new InMemorySpanExporter());
  assert.is(tracing.querySpan("notes", "select 1", ""), undefined);
  assert.is(tracing.querySpan("notes", "select 1", "00-bad"), undefined);
});

test("unsampled parents give unrecorded spans (the client said not to trace)", async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new HostTracing(CONFIG, "0.1.0", exporter);
  tracing.querySpan("notes", "select 1", PARENT.replace(/01$/, "00"))!();
  await tracing.flush();
  assert.is(exporter.getFinishedSpans().length, 0);
});

test("always_off records nothing, even under a sampled parent", async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new HostTracing({ ...CONFIG, sampler: { name: "always_off", ratio: 1 } }, "0.1.0", exporter);
  tracing.querySpan("notes", "select 1", PARENT)!();
  await tracing.flush();
  assert.is(exporter.getFinishedSpans().length, 0);
});

test("operationOf: the first keyword, past comments; never values", () => {
  assert.is(operationOf("select 1"), "SELECT");
  assert.is(operationOf("\n  -- note\n/* x */ with t as (select 1) select * from t"), "WITH");
  assert.is(operationOf("'; drop table x"), "SQL");
  assert.is(operationOf(""), "SQL");
});

test.run();
