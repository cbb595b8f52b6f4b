/** Tests for who may scrape /metrics: CORRAL_METRICS, and the endpoint each choice makes. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HealthReport } from "../../../host/health.ts";
import { bootstrapTokenAuth } from "../../../host/http/admin/admin-app.ts";
import type { AdminCaller, Authenticate } from "../../../host/http/admin/router.ts";
import { metricsEndpoint } from "../../../host/http/metrics-endpoint.ts";
import { HostMetrics } from "../../../host/metrics/host-metrics.ts";
import { metricsAccessFromEnv } from "../../../host/metrics/metrics-access.ts";

const metrics = new HostMetrics(() => ({ status: "ok", version: "0", uptimeMs: 0, plugins: [], invalid: [], hooks: [] }) as HealthReport, { processMetrics: false });

test("CORRAL_METRICS: token by default; public and off on request; anything else is refused by name", () => {
  assert.is(metricsAccessFromEnv({}), "token");
  assert.is(metricsAccessFromEnv({ CORRAL_METRICS: "" }), "token");
  assert.is(metricsAccessFromEnv({ CORRAL_METRICS: " Public " }), "public");
  assert.is(metricsAccessFromEnv({ CORRAL_METRICS: "off" }), "off");
  assert.throws(() => metricsAccessFromEnv({ CORRAL_METRICS: "open" }), /CORRAL_METRICS must be token, public or off, got "open"/);
});

test("token: a bearer credential whose role has observe.read, else 401", async () => {
  const app = metricsEndpoint(metrics, "token", bootstrapTokenAuth("s3cret"))!;
  assert.is((await app.request("/")).status, 401);
  assert.is((await app.request("/", { headers: { authorization: "Bearer nope" } })).status, 401);
  const ok = await app.request("/", { headers: { authorization: "Bearer s3cret" } });
  assert.is(ok.status, 200);
  assert.match(ok.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  assert.match(await ok.text(), /# TYPE corral_http_requests_total counter/);
});

test("token: every role has observe.read (a viewer token is enough for Prometheus)", async () => {
  for (const role of ["viewer", "operator", "admin"] as const) {
    const auth: Authenticate = () => ({ name: "x", role } satisfies AdminCaller);
    assert.is((await metricsEndpoint(metrics, "token", auth)!.request("/")).status, 200, role);
  }
});

test("public: no credential needed; off: no endpoint at all", async () => {
  const denyAll: Authenticate = () => null;
  assert.is((await metricsEndpoint(metrics, "public", denyAll)!.request("/")).status, 200);
  assert.is(metricsEndpoint(metrics, "off", denyAll), undefined);
});

test.run();
