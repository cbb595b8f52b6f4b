/** Tests for when and where the host exports traces, from the standard OTEL_* variables. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tracingConfigFromEnv } from "../../../host/tracing/tracing-config.ts";

test("no endpoint, no tracing", () => {
  assert.is(tracingConfigFromEnv({}), undefined);
  assert.is(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }), undefined);
});

test("the base endpoint gets /v1/traces; the traces endpoint is used as given and wins", () => {
  assert.is(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })!.url, "http://collector:4318/v1/traces");
  assert.is(tracingConfigFromEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/custom",
  })!.url, "https://traces.example/custom");
});

test("service name, headers (URL-decoded; the traces ones win) and batch delay", () => {
  const config = tracingConfigFromEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
    OTEL_SERVICE_NAME: "shop",
    OTEL_EXPORTER_OTLP_HEADERS: "Api-Key=a%20b,x-team=1",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=2",
    OTEL_BSP_SCHEDULE_DELAY: "250",
  })!;
  assert.equal(config, {
    url: "http://c:4318/v1/traces", headers: { "api-key": "a b", "x-team": "2" }, serviceName: "shop", scheduleDelayMs: 250,
    sampler: { name: "parentbased_always_on", ratio: 1 },
  });
  assert.is(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })!.serviceName, "corral");
});

test("the sampler: parent-based always-on by default; the standard names and a ratio", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
  assert.equal(tracingConfigFromEnv({ ...base, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" })!.sampler, { name: "parentbased_traceidratio", ratio: 0.1 });
  assert.throws(() => tracingConfigFromEnv({ ...base, OTEL_TRACES_SAMPLER: "sometimes" }), /OTEL_TRACES_SAMPLER must be one of always_on, .*got "sometimes"/);
  assert.throws(() => tracingConfigFromEnv({ ...base, OTEL_TRACES_SAMPLER_ARG: "2" }), /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
});

test("OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn it off", () => {
  assert.is(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }), undefined);
  assert.is(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" }), undefined);
});

test("malformed values are refused, naming the variable", () => {
  assert.throws(() => tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }), /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
  assert.throws(() => tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://c:4317" }), /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT .*OTLP over HTTP only/);
  assert.throws(() => tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_EXPORTER_OTLP_HEADERS: "novalue" }), /OTEL_EXPORTER_OTLP_HEADERS must be a list of name=value pairs/);
  assert.throws(() => tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_BSP_SCHEDULE_DELAY: "soon" }), /OTEL_BSP_SCHEDULE_DELAY must be a whole number/);
});

test.run();
