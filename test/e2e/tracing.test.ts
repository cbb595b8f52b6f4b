// End to end: OpenTelemetry traces from a real host to a local HTTP server standing in for the
// OTLP collector. One request with a client's traceparent gives a server span, a span for the
// hand-off to the plugin (whose context the plugin is given) and a span per database statement,
// all in the client's trace and correctly parented.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";

/** A span as OTLP/HTTP JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
  status?: { code?: number };
}

const SERVER = 2;
const CLIENT = 3;

const tracing = suite<{ t: TestHost; collector: Server; spans: OtlpSpan[]; paths: string[]; serviceNames: string[] }>("tracing");

tracing.before(async (ctx) => {
  ctx.spans = [];
  ctx.paths = [];
  ctx.serviceNames = [];
  ctx.collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      ctx.paths.push(`${req.method} ${req.url} ${req.headers["content-type"]} ${req.headers["x-api-key"]}`);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        for (const attr of rs.resource?.attributes ?? []) if (attr.key === "service.name") ctx.serviceNames.push(attr.value.stringValue);
        for (const ss of rs.scopeSpans ?? []) ctx.spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => ctx.collector.listen(0, "127.0.0.1", resolve));
  const port = (ctx.collector.address() as AddressInfo).port;
  ctx.t = await startTestHost({
    plugins: ["met-db"],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=secret%20key",
      OTEL_SERVICE_NAME: "corral-e2e",
      OTEL_BSP_SCHEDULE_DELAY: "50",
    },
  });
});
tracing.after(async (ctx) => {
  await ctx.t.close();
  await new Promise((resolve) => ctx.collector.close(resolve));
});

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

tracing("a traced request: server span in the client's trace, forward span handed to the plugin, a span per statement under it", async (ctx) => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const clientSpan = "00f067aa0ba902b7";
  const res = await send(`${ctx.t.url}/plugins/met-db/query`, { headers: { traceparent: `00-${traceId}-${clientSpan}-01`, tracestate: "vendor=abc" } });
  assert.is(res.status, 200, res.text);
  const seen = json<{ traceparent: string; tracestate: string | null }>(res);
  const [version, seenTrace, seenSpan, flags] = seen.traceparent.split("-");
  assert.is(version, "00");
  assert.is(seenTrace, traceId, "the plugin continues the client's trace");
  assert.is.not(seenSpan, clientSpan, "under the host's span, not the client's");
  assert.is(flags, "01");
  assert.is(seen.tracestate, "vendor=abc", "tracestate travels with it");

  const spans = await eventually(() => {
    const mine = ctx.spans.filter((s) => s.traceId === traceId);
    return mine.length >= 4 ? mine : undefined;
  }, 10_000, "4 spans of the trace at the collector");
  assert.is(spans.length, 4, spans.map((s) => s.name).join(", "));
  const server = spans.find((s) => s.kind === SERVER)!;
  const forward = spans.find((s) => s.name === "forward met-db")!;
  const queries = spans.filter((s) => s.name === "SELECT");
  assert.ok(server && forward, spans.map((s) => s.name).join(", "));
  assert.is(server.name, "GET /plugins/met-db/*");
  assert.is(server.parentSpanId, clientSpan);
  assert.is(attr(server, "http.response.status_code"), 200);
  assert.is(attr(server, "http.route"), "/plugins/met-db/*");
  assert.is(attr(server, "corral.request_id"), res.headers["x-request-id"]);
  assert.is(forward.kind, CLIENT);
  assert.is(forward.parentSpanId, server.spanId);
  assert.is(forward.spanId, seenSpan, "the plugin was given the forward span's context");
  assert.is(queries.length, 2);
  for (const query of queries) {
    assert.is(query.parentSpanId, forward.spanId, "statements are children of the hand-off to the plugin");
    assert.is(query.kind, CLIENT);
    assert.is(attr(query, "db.system.name"), "postgresql");
    assert.match(String(attr(query, "db.query.text")), /^select [12] as n$/);
  }
  assert.ok(ctx.serviceNames.includes("corral-e2e"));
  assert.ok(ctx.paths.some((p) => p === "POST /v1/traces application/json secret key"), ctx.paths.join("\n"));
});

tracing("a request without a traceparent starts a new trace; failures are marked on the spans", async (ctx) => {
  const res = await send(`${ctx.t.url}/plugins/met-db/bad-sql`);
  assert.is(res.status, 500);
  const requestId = res.headers["x-request-id"];
  const server = await eventually(() => ctx.spans.find((s) => s.kind === SERVER && attr(s, "corral.request_id") === requestId), 10_000, "the server span");
  assert.is(server.parentSpanId || undefined, undefined, "a root span");
  assert.is(server.status?.code, 2, "a 500 is an error");
  const query = await eventually(() => ctx.spans.find((s) => s.traceId === server.traceId && s.name === "SELECT"), 10_000, "the statement's span");
  assert.is(attr(query, "error.type"), "42P01", "the SQLSTATE");
  assert.is(query.status?.code, 2);

  const refused = await send(`${ctx.t.url}/plugins/met-db/echo`, { method: "POST", headers: { cookie: "a=1" }, body: "x" });
  assert.is(refused.status, 403);
  const csrf = await eventually(() => ctx.spans.find((s) => attr(s, "corral.request_id") === refused.headers["x-request-id"]), 10_000, "the refused request's span");
  assert.is(attr(csrf, "error.type"), "CORRAL_E_CSRF");
  assert.is(ctx.spans.filter((s) => s.traceId === csrf.traceId).length, 1, "refused before the plugin: no forward span");
});

tracing.run();
