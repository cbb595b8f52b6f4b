/**
 * The admin router (host/http/admin/router.ts): every role against every permission, 401 vs 403,
 * and the audit record it writes once per change (not for GETs), with secrets redacted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { AuditEntry } from "../../../../host/admin/audit-log.ts";
import type { AdminPermission, AdminRole } from "../../../../host/http/admin/permissions.ts";
import { ROLE_PERMISSIONS } from "../../../../host/http/admin/permissions.ts";
import { createAdminRouter } from "../../../../host/http/admin/router.ts";

const PERMISSIONS: readonly AdminPermission[] = ["plugins.read", "observe.read", "plugins.operate", "plugins.manage", "access.manage"];

/** A router with one GET and one POST route per permission; the caller's role comes from a header. */
function setUp() {
  const audited: AuditEntry[] = [];
  const { app, router } = createAdminRouter({
    authenticate: (c) => {
      const role = c.req.header("x-role");
      return role === undefined ? null : { name: `someone-${role}`, role: role as AdminRole };
    },
    audit: { record: async (entry) => void audited.push(entry) },
  });
  for (const permission of PERMISSIONS) {
    router.get(`/read/${permission}`, permission, (c) => c.json({ ok: true }));
    router.post(`/plugins/:name/${permission}`, permission, (c) => c.json({ ok: c.get("caller").name }, 202));
  }
  return { app, audited };
}

test("each role reaches exactly the routes of its permissions; others get 403 naming the permission", async () => {
  const { app } = setUp();
  for (const role of Object.keys(ROLE_PERMISSIONS) as AdminRole[]) {
    for (const permission of PERMISSIONS) {
      const res = await app.request(`/read/${permission}`, { headers: { "x-role": role } });
      const allowed = ROLE_PERMISSIONS[role].includes(permission);
      assert.is(res.status, allowed ? 200 : 403, `${role} → ${permission}`);
      if (!allowed) {
        const body = await res.json() as { error: { code: string; message: string } };
        assert.is(body.error.code, "CORRAL_E_ADMIN_FORBIDDEN");
        assert.ok(body.error.message.includes(`lacks the "${permission}" permission`), body.error.message);
      }
    }
  }
});

test("the stated roles: viewer reads, operator also operates, admin does everything", () => {
  assert.equal(ROLE_PERMISSIONS.viewer, ["plugins.read", "observe.read"]);
  assert.equal(ROLE_PERMISSIONS.operator, ["plugins.read", "observe.read", "plugins.operate"]);
  assert.equal(ROLE_PERMISSIONS.admin, PERMISSIONS);
});

test("no caller is 401 and the handler never runs", async () => {
  const { app } = setUp();
  const res = await app.request("/plugins/x/plugins.read", { method: "POST" });
  assert.is(res.status, 401);
  assert.match(await res.text(), /CORRAL_E_ADMIN_AUTH.*Authorization: Bearer/);
});

test("a change is audited once with actor, role, route pattern, plugin, details and status; reads are not", async () => {
  const { app, audited } = setUp();
  await app.request("/read/plugins.read", { headers: { "x-role": "viewer" } });
  assert.is(audited.length, 0, "GET is not audited");
  await app.request("/plugins/blog/plugins.operate?purge=true", {
    method: "POST",
    headers: { "x-role": "operator", "content-type": "application/json" },
    body: JSON.stringify({ reason: "maintenance", password: "hunter2hunter2", nested: { token: "abc", keep: 1 } }),
  });
  assert.is(audited.length, 1);
  const entry = audited[0]!;
  assert.equal(
    { actor: entry.actor, role: entry.role, action: entry.action, plugin: entry.plugin, status: entry.status },
    { actor: "someone-operator", role: "operator", action: "POST /plugins/:name/plugins.operate", plugin: "blog", status: 202 },
  );
  assert.equal(entry.details, { name: "blog", purge: "true", reason: "maintenance", password: "[redacted]", nested: { token: "[redacted]", keep: 1 } });
});

test("a :name outside /plugins/ is not a plugin: it stays in the details", async () => {
  const audited: AuditEntry[] = [];
  const { app, router } = createAdminRouter({ authenticate: () => ({ name: "a", role: "admin" }), audit: { record: async (e) => void audited.push(e) } });
  router.delete("/access/users/:name", "access.manage", (c) => c.json({}));
  router.post("/plugins/:name/restart", "plugins.operate", (c) => c.json({}));
  await app.request("/access/users/bob", { method: "DELETE" });
  await app.request("/plugins/blog/restart", { method: "POST" });
  assert.equal(audited.map((e) => [e.plugin, e.details.name]), [[null, "bob"], ["blog", "blog"]]);
});

test("refused changes are audited with their status and reason", async () => {
  const { app, audited } = setUp();
  await app.request("/plugins/x/access.manage", { method: "POST", headers: { "x-role": "viewer" } });
  await app.request("/plugins/x/access.manage", { method: "POST" });
  assert.equal(audited.map((e) => [e.actor, e.status]), [["someone-viewer", 403], [null, 401]]);
  assert.match(String(audited[0]!.details.refused), /lacks the "access.manage" permission/);
});

test("the handler can still read a body the router read for the audit", async () => {
  const audited: AuditEntry[] = [];
  const { app, router } = createAdminRouter({
    authenticate: () => ({ name: "a", role: "admin" }),
    audit: { record: async (entry) => void audited.push(entry) },
  });
  router.post("/echo", "plugins.manage", async (c) => c.json(await c.req.json()));
  const res = await app.request("/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
  assert.equal(await res.json(), { a: 1 });
  assert.equal(audited[0]!.details, { a: 1 });
});

test("an audit sink that fails does not fail the change, and is reported", async () => {
  const reported: unknown[] = [];
  const { app, router } = createAdminRouter({
    authenticate: () => ({ name: "a", role: "admin" }),
    audit: { record: async () => { throw new Error("database down"); } },
    onAuditError: (error) => reported.push(error),
  });
  router.post("/x", "plugins.manage", (c) => c.text("done"));
  const res = await app.request("/x", { method: "POST" });
  assert.is(res.status, 200);
  assert.is((reported[0] as Error).message, "database down");
});

test.run();
