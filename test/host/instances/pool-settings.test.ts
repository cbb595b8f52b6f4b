/** resolvePoolSettings: the manifest asks, the policy's defaults fill in, its ceilings refuse. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { resolvePoolSettings } from "../../../host/instances/pool-settings.ts";
import { parseManifest } from "../../../host/manifest/manifest.ts";
import { defaultPolicy } from "../../../host/policy.ts";
import type { HostPolicy } from "../../../host/policy.ts";

function manifest(extra: Record<string, unknown> = {}) {
  return parseManifest(JSON.stringify({ name: "pooled", version: "1.0.0", hostApi: "^0.1.0", ...extra }), "plugin.json");
}

test("a manifest that asks for nothing gets one eager instance and the policy's defaults", () => {
  const policy = defaultPolicy();
  const settings = resolvePoolSettings(manifest(), policy);
  assert.equal(settings, {
    lazy: false, lazySource: null, idleTimeoutMs: policy.defaults.idleTimeoutMs, minInstances: 1, maxInstances: 1,
    maxConcurrent: policy.defaults.maxConcurrent, maxQueue: policy.defaults.maxQueue, cpuPercent: null,
    cpuWindowMs: policy.limits.cpuWindowMs, scaleUpQueueDepth: policy.scaling.scaleUpQueueDepth,
    scaleDownIdleMs: policy.scaling.scaleDownIdleMs,
  });
});

test("what the manifest asks within the ceilings is what it gets", () => {
  const settings = resolvePoolSettings(manifest({
    lazy: true, idleTimeoutMs: 5000, instances: { min: 2, max: 3 },
    limits: { maxConcurrent: 7, maxQueue: 0, cpuPercent: 50 },
  }), defaultPolicy());
  assert.is(settings.lazy, true);
  assert.is(settings.lazySource, "manifest");
  assert.is(settings.idleTimeoutMs, 5000);
  assert.is(settings.minInstances, 2);
  assert.is(settings.maxInstances, 3);
  assert.is(settings.maxConcurrent, 7);
  assert.is(settings.maxQueue, 0);
  assert.is(settings.cpuPercent, 50);
});

test("every value over a ceiling is refused at once, naming the field and the ceiling", () => {
  const policy = defaultPolicy();
  let error: unknown;
  try {
    resolvePoolSettings(manifest({ instances: { max: 9 }, limits: { maxConcurrent: 5000, cpuPercent: 800 } }), policy);
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, CorralError);
  assert.is((error as CorralError).code, ErrorCode.POLICY_DENIED);
  const message = (error as CorralError).message;
  assert.match(message, "/instances/max: 9 is over the host policy's ceiling limits.maxInstances (4)");
  assert.match(message, "/limits/maxConcurrent: 5000 is over the host policy's ceiling limits.maxConcurrent (1000)");
  assert.match(message, "/limits/cpuPercent: 800 is over the host policy's ceiling limits.maxCpuPercent (400)");
});

test("the policy's forceLazy makes a plugin lazy by name or with \"*\"", () => {
  const base = defaultPolicy();
  const withLazy = (forceLazy: string[]): HostPolicy => ({ ...base, scaling: { ...base.scaling, forceLazy } });
  assert.is(resolvePoolSettings(manifest(), withLazy(["pooled"])).lazySource, "policy");
  assert.is(resolvePoolSettings(manifest(), withLazy(["*"])).lazy, true);
  assert.is(resolvePoolSettings(manifest(), withLazy(["other"])).lazy, false);
});

test("the policy's default CPU quota applies; 0 means none", () => {
  const base = defaultPolicy();
  const policy: HostPolicy = { ...base, defaults: { ...base.defaults, cpuPercent: 150 } };
  assert.is(resolvePoolSettings(manifest(), policy).cpuPercent, 150);
  assert.is(resolvePoolSettings(manifest(), base).cpuPercent, null);
});

test("instances.max below instances.min is a manifest error", () => {
  try {
    manifest({ instances: { min: 3, max: 2 } });
    assert.unreachable("accepted");
  } catch (error) {
    assert.is((error as CorralError).code, ErrorCode.MANIFEST_INVALID);
    assert.match((error as Error).message, "/instances/max: expected at least /instances/min (3), got 2");
  }
  assert.equal(manifest({ instances: { min: 3 } }).instances, { min: 3, max: 3 });
  assert.equal(manifest({ instances: { max: 2 } }).instances, { min: 1, max: 2 });
});

test.run();
