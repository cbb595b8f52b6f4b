/** Tests for the host policy: defaults, loading and validating the file, and net grant matching. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { defaultPolicy, loadPolicy, netGrantRefusal, parseNetAddress, parseNetPattern, withRuntimeDenies } from "../../host/policy.ts";
import type { HostPolicy } from "../../host/policy.ts";
import { rejection } from "../helpers/assert.ts";

let root = "";
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), "corral-policy-"));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function policyFile(text: unknown): Promise<string> {
  const file = join(root, `policy-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, typeof text === "string" ? text : JSON.stringify(text));
  return file;
}

function withNet(allow: string[], deny: string[]): HostPolicy {
  return { ...defaultPolicy(), net: { allow, deny } };
}

test("the default policy has the documented values and is frozen", () => {
  const policy = defaultPolicy();
  assert.equal(policy.net, { allow: ["*"], deny: ["169.254.169.254:*", "metadata.google.internal:*"] });
  assert.equal(policy.env.deny, ["DATABASE_URL", "PGPASSWORD", "PGUSER", "PGHOST", "CORRAL_SECRET", "CORRAL_ADMIN_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"]);
  assert.equal(policy.limits, {
    maxMemoryMb: 1024, maxTimeoutMs: 60000, maxBodyBytes: 64 * 1024 * 1024,
    maxConcurrent: 1000, maxQueue: 1000, maxCpuPercent: 400, cpuWindowMs: 10_000, maxInstances: 4,
  });
  assert.equal(policy.defaults, {
    memoryMb: 128, timeoutMs: 10000, maxBodyBytes: 1024 * 1024, maxConcurrent: 100, maxQueue: 100, cpuPercent: 0, idleTimeoutMs: 300_000,
  });
  assert.equal(policy.scaling, { forceLazy: [], scaleUpQueueDepth: 4, scaleDownIdleMs: 30_000 });
  assert.equal(policy.identity, { providers: [] }, "no plugin is trusted for identity unless the operator lists it");
  assert.is(policy.isolation, "auto");
  assert.is(policy.startTimeoutMs, 10000);
  assert.ok(Object.isFrozen(policy.net.deny));
});

test("loadPolicy with no file gives the default policy", async () => {
  assert.equal(await loadPolicy(), defaultPolicy());
});

test("a partial policy file takes defaults for what it leaves out; a given field replaces the default", async () => {
  const file = await policyFile({ net: { deny: ["10.0.0.1:*"] }, limits: { maxMemoryMb: 512 }, isolation: "namespace" });
  const policy = await loadPolicy(file);
  assert.equal(policy.net, { allow: ["*"], deny: ["10.0.0.1:*"] });
  assert.equal(policy.limits, { ...defaultPolicy().limits, maxMemoryMb: 512 });
  assert.is(policy.isolation, "namespace");
  assert.equal(policy.env, defaultPolicy().env);
  assert.ok(Object.isFrozen(policy.limits));
});

test("a bad policy file is refused naming the file, every field and what was expected", async () => {
  const file = await policyFile({
    net: { allow: ["*:443", "no port"] }, isolation: "maybe", limits: { maxMemoryMb: "lots" }, env: { deny: ["A-B"] }, colour: 1,
  });
  const error = await rejection(loadPolicy(file));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  const lines = error.message.split("\n");
  assert.ok(lines.every((line) => line.startsWith(`${file}: /`)), error.message);
  for (const expected of [
    `/: unknown field "colour" (allowed: net, env, limits, defaults, isolation, startTimeoutMs, http, monitoring, scaling, identity, packages)`,
    `/net/allow/1: expected a net pattern: "host:port", "host:*", "*:port" or "*" (IPv6 hosts in brackets, ports 1-65535), got "no port"`,
    `/isolation: expected one of "auto", "namespace", "none", got "maybe"`,
    `/limits/maxMemoryMb: expected an integer from 16 to 16384 (MiB), got "lots"`,
    `/env/deny/0: expected an environment variable name like "API_KEY", got "A-B"`,
  ]) {
    assert.ok(lines.includes(`${file}: ${expected}`), `expected ${expected} in:\n${error.message}`);
  }
  assert.is(lines.length, 5, error.message);
});

test("a default above its ceiling is refused", async () => {
  const file = await policyFile({ limits: { maxMemoryMb: 64 } });
  const error = await rejection(loadPolicy(file));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  assert.is(error.message, `${file}: /defaults/memoryMb: expected at most /limits/maxMemoryMb (64), got 128`);
});

test("a policy file that is not JSON names the line and column", async () => {
  const file = await policyFile(`{\n  "isolation": "none"\n  "startTimeoutMs": 5\n}`);
  const error = await rejection(loadPolicy(file));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  assert.ok(error.message.startsWith(`${file}: not valid JSON: line 3, column 3:`), error.message);
});

test("a policy file that does not exist is refused naming it", async () => {
  const error = await rejection(loadPolicy(join(root, "missing.json")));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  assert.ok(error.message.startsWith(`${join(root, "missing.json")}: cannot read the policy file`), error.message);
});

test("net grants parse to canonical hosts and malformed ones do not parse", () => {
  assert.equal(parseNetAddress("API.Example.com:443"), { host: "api.example.com", port: 443 });
  assert.equal(parseNetAddress("[0:0::1]:8080"), { host: "[::1]", port: 8080 });
  assert.equal(parseNetAddress("10.0.0.5:5432"), { host: "10.0.0.5", port: 5432 });
  for (const bad of ["example.com", "example.com:0", "example.com:65536", "example.com:080", "::1:80", "[::g]:80",
    "010.0.0.1:80", "2130706433:80", "0x7f.1:80", "a b:80", "host:*", "*:80", "example.com:443,evil.com:80"]) {
    assert.is(parseNetAddress(bad), null, bad);
  }
  assert.equal(parseNetPattern("*"), { host: "*", port: "*" });
  assert.equal(parseNetPattern("*:5432"), { host: "*", port: 5432 });
  assert.equal(parseNetPattern("db.internal:*"), { host: "db.internal", port: "*" });
  assert.is(parseNetPattern("db.internal"), null);
});

test("a net grant must match an allow pattern and no deny pattern; deny wins", () => {
  const policy = withNet(["*:443", "db.internal:*", "10.0.0.5:5432"], ["evil.com:443"]);
  assert.is(netGrantRefusal(policy, "api.example.com:443"), null);
  assert.is(netGrantRefusal(policy, "db.internal:6543"), null);
  assert.is(netGrantRefusal(policy, "10.0.0.5:5432"), null);
  assert.is(netGrantRefusal(policy, "evil.com:443"), `matches the host policy's deny pattern "evil.com:443"`);
  assert.is(netGrantRefusal(policy, "EVIL.com:443"), `matches the host policy's deny pattern "evil.com:443"`);
  assert.is(netGrantRefusal(policy, "api.example.com:80"),
    `matches none of the host policy's allow patterns ("*:443", "db.internal:*", "10.0.0.5:5432")`);
  assert.is(netGrantRefusal(policy, "nonsense"), `is not "host:port" with a port from 1 to 65535`);
  assert.is(netGrantRefusal(withNet(["*"], ["*"]), "a.com:1"), `matches the host policy's deny pattern "*"`);
});

test("the default policy refuses the cloud metadata endpoints however they are spelled", () => {
  const policy = defaultPolicy();
  for (const grant of ["169.254.169.254:80", "[::ffff:169.254.169.254]:80", "[::ffff:a9fe:a9fe]:80", "Metadata.Google.Internal:80"]) {
    assert.ok(netGrantRefusal(policy, grant)?.startsWith("matches the host policy's deny pattern"), grant);
  }
  assert.is(netGrantRefusal(policy, "example.com:443"), null);
});

test("withRuntimeDenies adds the host's own addresses and every loopback spelling matches them", () => {
  const base = defaultPolicy();
  const policy = withRuntimeDenies(base, ["127.0.0.1:8080", "127.0.0.1:8080"]);
  assert.equal(policy.net.deny, [...base.net.deny, "127.0.0.1:8080"]);
  assert.equal(base.net.deny.length, 2, "the input policy is unchanged");
  for (const grant of ["127.0.0.1:8080", "localhost:8080", "app.localhost:8080", "127.0.0.2:8080", "0.0.0.0:8080", "[::1]:8080", "[::]:8080", "[::ffff:127.0.0.1]:8080"]) {
    assert.is(netGrantRefusal(policy, grant), `matches the host policy's deny pattern "127.0.0.1:8080"`, grant);
  }
  assert.is(netGrantRefusal(policy, "localhost:8081"), null);
  assert.throws(() => withRuntimeDenies(base, ["127.0.0.1"]), (error: unknown) => error instanceof TypeError);
});

test("the scaling section and the instance, queue and CPU limits are read; a default over its ceiling is refused", async () => {
  const policy = await loadPolicy(await policyFile({
    scaling: { forceLazy: ["*"], scaleDownIdleMs: 500 },
    limits: { maxInstances: 8, maxCpuPercent: 200, cpuWindowMs: 2000 },
    defaults: { cpuPercent: 100, idleTimeoutMs: 60_000 },
  }));
  assert.equal(policy.scaling, { forceLazy: ["*"], scaleUpQueueDepth: 4, scaleDownIdleMs: 500 });
  assert.is(policy.limits.maxInstances, 8);
  assert.is(policy.limits.cpuWindowMs, 2000);
  assert.is(policy.defaults.cpuPercent, 100);
  const error = await rejection(loadPolicy(await policyFile({ limits: { maxQueue: 10 }, defaults: { maxQueue: 20 } })));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  assert.match(error.message, "/defaults/maxQueue: expected at most /limits/maxQueue (10), got 20");
  const bad = await rejection(loadPolicy(await policyFile({ scaling: { forceLazy: ["Not A Name"], scaleUpQueueDepth: 0 } })));
  assert.match(bad.message, "/scaling/forceLazy/0: expected a plugin name");
  assert.match(bad.message, "/scaling/scaleUpQueueDepth: expected an integer from 1 to 100000 (requests), got 0");
});

test.run();
