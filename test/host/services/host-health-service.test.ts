// Unit tests of the host service host.health: refused without the manifest's "host": ["health"],
// and with it the /health report plus each plugin's request counts from the rolling series.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import type { HealthReport } from "../../../host/health.ts";
import type { Manifest } from "../../../host/manifest/manifest.ts";
import type { SeriesPoint } from "../../../host/metrics/request-series.ts";
import { registerHostHealthService } from "../../../host/services/host-health-service.ts";
import { ServiceRegistry } from "../../../host/services/registry.ts";
import { rejection } from "../../helpers/assert.ts";

const REPORT = {
  status: "ok", version: "0.1.0", uptimeMs: 5, invalid: [], hooks: [],
  plugins: [{ name: "alpha", state: "ready" }, { name: "beta", state: "failed" }],
} as unknown as HealthReport;

const POINTS: Record<string, SeriesPoint[]> = {
  alpha: [{ t: 0, requests: 3, errors: 1, p50Ms: 1, p95Ms: 2 }, { t: 10_000, requests: 4, errors: 0, p50Ms: 1, p95Ms: 2 }],
};

function setup() {
  const registry = new ServiceRegistry();
  registerHostHealthService(registry, { health: () => REPORT, series: { points: (name) => POINTS[name] ?? [] } });
  const caller = (name: string, host?: string[]) =>
    ({ name, manifest: { name, ...(host === undefined ? {} : { host }) } as unknown as Manifest });
  return { registry, caller };
}

test("host.health is denied without the grant, naming the field to add", async () => {
  const { registry, caller } = setup();
  for (const denied of [caller("plain"), caller("empty", [])]) {
    const error = await rejection(registry.dispatch(denied, "host.health", ""));
    assert.is(error.code, ErrorCode.CALL_DENIED);
    assert.match(error.message, /"host": \["health"\]/);
  }
});

test("host.health answers the report and summed request counts per plugin", async () => {
  const { registry, caller } = setup();
  const answer = JSON.parse(await registry.dispatch(caller("mon", ["health"]), "host.health", ""));
  assert.equal(answer.report, JSON.parse(JSON.stringify(REPORT)));
  assert.equal(answer.requests.byPlugin, { alpha: { requests: 7, errors: 1 }, beta: { requests: 0, errors: 0 } });
  assert.is(answer.requests.windowSeconds, 1800);
});

test.run();
