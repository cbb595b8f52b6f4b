import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseManifest } from "../../../host/manifest/manifest.ts";
import { describeDiff, diffPermissions } from "../../../host/packages/permission-diff.ts";

/** A manifest of plugin "reviewed" with the given fields over a minimal one. */
function manifest(fields: Record<string, unknown> = {}) {
  return parseManifest(JSON.stringify({ name: "reviewed", version: "1.0.0", hostApi: "^0.1.0", ...fields }), "plugin.json");
}

const added = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  diffPermissions(manifest(before), manifest(after)).added.map((c) => `${c.grant} ${c.value}`);
const removed = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  diffPermissions(manifest(before), manifest(after)).removed.map((c) => `${c.grant} ${c.value}`);

test("the same manifest is no change", () => {
  const fields = { permissions: { net: ["api.example.com:443"] }, database: true, access: [{ path: "/admin/*", roles: ["admin"] }] };
  assert.equal(diffPermissions(manifest(fields), manifest(fields)), { added: [], removed: [] });
});

test("a new net grant, a host service and identity are escalations; a dropped read grant is listed as removed", () => {
  const before = { permissions: { read: ["data"] } };
  const after = { permissions: { net: ["api.example.com:443"] }, host: ["health"], providesIdentity: {} };
  assert.equal(added(before, after), ["permissions.net api.example.com:443", "host health", "providesIdentity true"]);
  assert.equal(removed(before, after), ["permissions.read data"]);
});

test("route roles: a dropped rule or one admitting another role is an escalation; a narrower or new rule is not", () => {
  const before = { access: [{ path: "/admin/*", roles: ["admin"] }, { path: "/stats", roles: ["admin", "operator"] }] };
  assert.equal(added(before, { access: [{ path: "/stats", roles: ["admin", "operator"] }] }), ["access /admin/* roles=admin dropped: open to everyone"]);
  assert.equal(added(before, { access: [{ path: "/admin/*", roles: ["admin", "viewer"] }, { path: "/stats", roles: ["admin", "operator"] }] }),
    ["access /admin/* roles=admin -> admin,viewer"]);
  const narrower = { access: [{ path: "/admin/*", roles: ["admin"] }, { path: "/stats", roles: ["admin"] }, { path: "/x", roles: ["admin"] }] };
  assert.equal(added(before, narrower), []);
  assert.equal(removed(before, narrower), ["access /stats roles=admin,operator -> admin", "access /x roles=admin new rule: fewer users"]);
});

test("limits: raising one or leaving it to the host default is an escalation; lowering or setting one is not", () => {
  assert.equal(added({ limits: { memoryMb: 128 } }, { limits: { memoryMb: 512 } }), ["limits.memoryMb 128 -> 512"]);
  assert.equal(added({ limits: { memoryMb: 128 } }, {}), ["limits.memoryMb 128 -> host default"]);
  assert.equal(added({ limits: { memoryMb: 128 } }, { limits: { memoryMb: 64 } }), []);
  assert.equal(added({}, { limits: { cpuPercent: 50 } }), []);
  assert.equal(added({ instances: { min: 1, max: 1 } }, { instances: { min: 1, max: 4 } }), ["instances.max 1 -> 4"]);
});

test("describeDiff prints additions with + and removals with -", () => {
  const diff = diffPermissions(manifest({ permissions: { env: ["A"] } }), manifest({ permissions: { env: ["B"] } }));
  assert.is(describeDiff(diff), "+ permissions.env B\n- permissions.env A");
});

test.run();
