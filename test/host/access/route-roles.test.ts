/** Tests for route roles: rule matching, the identity shape, who counts as a provider, the answers. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { accessPath, failedRule, RouteRoles, ruleCovers } from "../../../host/access/route-roles.ts";
import { identityOf } from "../../../host/access/identity.ts";
import { Logger } from "../../../host/logger.ts";
import { parseManifest } from "../../../host/manifest/manifest.ts";
import { loadPolicy } from "../../../host/policy.ts";
import { ErrorCode } from "../../../schemas/errors.ts";
import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const admin = { path: "/admin/*", roles: ["admin"] };
const stats = { path: "/stats", roles: ["admin", "operator"] };
const who = (roles: string[]) => ({ user: { id: "1", name: "ada" }, roles });

const manifest = (fields: Record<string, unknown>) =>
  parseManifest(JSON.stringify({ name: "xx", version: "1.0.0", hostApi: "^0.1.0", ...fields }), "plugin.json");

function silentLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", sink: (line: string) => void lines.push(line) });
  return { log, lines };
}

test("the checked path is relative to the mount, without doubled or trailing slashes", () => {
  assert.is(accessPath("/plugins/notes/admin/", "notes"), "/admin");
  assert.is(accessPath("/plugins/notes//admin//x", "notes"), "/admin/x");
  assert.is(accessPath("/plugins/notes", "notes"), "/");
  assert.is(accessPath("/plugins/notes/", "notes"), "/");
});

test("a /* rule covers its prefix and everything below it; an exact rule only its path", () => {
  assert.ok(ruleCovers(admin, "/admin"));
  assert.ok(ruleCovers(admin, "/admin/users/1"));
  assert.not.ok(ruleCovers(admin, "/administrator"));
  assert.not.ok(ruleCovers(admin, "/"));
  assert.ok(ruleCovers({ path: "/*", roles: ["user"] }, "/"));
  assert.ok(ruleCovers({ path: "/*", roles: ["user"] }, "/anything/x"));
  assert.ok(ruleCovers(stats, "/stats"));
  assert.not.ok(ruleCovers(stats, "/stats/more"));
});

test("a user needs one of a rule's roles, for every rule that covers the path", () => {
  const rules = [admin, stats, { path: "/admin/danger", roles: ["owner"] }];
  assert.is(failedRule(rules, "/admin/x", who(["admin"])), undefined);
  assert.is(failedRule(rules, "/stats", who(["operator"])), undefined);
  assert.equal(failedRule(rules, "/admin/x", who(["operator"])), admin);
  assert.equal(failedRule(rules, "/admin/x", null), admin);
  // Both rules cover it: admin alone is not enough.
  assert.equal(failedRule(rules, "/admin/danger", who(["admin"]))?.roles, ["owner"]);
  assert.is(failedRule(rules, "/public", null), undefined);
});

test("the identity must be {user: {id, name}, roles: string[]}; anything else is refused by name", () => {
  assert.is(identityOf({}), null);
  assert.is(identityOf({ identity: null }), null);
  assert.equal(identityOf({ identity: who(["admin"]) }), who(["admin"]));
  assert.throws(() => identityOf({ identity: "admin" }), /must be an object/);
  assert.throws(() => identityOf({ identity: { user: { id: "1", name: "a" }, roles: "admin" } }), /roles must be an array/);
  assert.throws(() => identityOf({ identity: { user: "ada", roles: [] } }), /user must be an object/);
});

test("the manifest's access rules and providesIdentity are validated", () => {
  assert.equal(manifest({ access: [admin] }).access, [admin]);
  assert.equal(manifest({}).access, []);
  assert.throws(() => manifest({ access: [{ path: "admin", roles: ["admin"] }] }), /\/access\/0\/path/);
  assert.throws(() => manifest({ access: [{ path: "/a/../b", roles: ["admin"] }] }), /\/access\/0\/path/);
  assert.throws(() => manifest({ access: [{ path: "/a", roles: [] }] }), /\/access\/0\/roles/);
  assert.throws(() => manifest({ access: [{ path: "/a", roles: ["Admin!"] }] }), /\/access\/0\/roles\/0/);
  assert.equal(manifest({ providesIdentity: { loginPath: "/login" } }).providesIdentity, { loginPath: "/login" });
});

test("only a plugin that asks and that the policy lists provides identity (deny by default)", async () => {
  const { log, lines } = silentLogger();
  const roles = new RouteRoles(log);
  const auth = { ...manifest({ providesIdentity: { loginPath: "/login" } }), name: "auth" };
  const rogue = { ...manifest({ providesIdentity: {} }), name: "rogue" };
  const silent = { ...manifest({}), name: "silent" };
  const dir = await mkdtemp(join(tmpdir(), "corral-policy-"));
  await writeFile(join(dir, "policy.json"), JSON.stringify({ identity: { providers: ["auth", "silent"] } }));
  const policy = await loadPolicy(join(dir, "policy.json"));

  roles.configure([auth, rogue, silent], (await loadPolicy()).identity);
  assert.not.ok(roles.mayProvideIdentity("auth"), "the default policy grants nobody");

  roles.configure([auth, rogue, silent], policy.identity);
  assert.ok(roles.mayProvideIdentity("auth"));
  assert.not.ok(roles.mayProvideIdentity("rogue"), "asked but not listed");
  assert.not.ok(roles.mayProvideIdentity("silent"), "listed but did not ask");
  assert.equal(roles.report().notGranted, ["rogue"]);
  assert.ok(lines.some((line) => line.includes("rogue") && line.includes("identity.providers")));
});

test("a signed-out browser is sent to the provider's login page; others get 401 or 403", async () => {
  const { log } = silentLogger();
  const roles = new RouteRoles(log);
  const auth = { ...manifest({ providesIdentity: { loginPath: "/login" } }), name: "auth" };
  const notes = { ...manifest({ access: [admin] }), name: "notes" };
  roles.configure([auth, notes], { providers: ["auth"] });
  assert.is(roles.check("notes", "/plugins/notes/", {}), undefined);
  const anonymous = roles.check("notes", "/plugins/notes/admin/x", {})!;
  assert.is(roles.loginRedirect(anonymous, "GET", "text/html,*/*", "/plugins/notes/admin/x?a=1"), "/plugins/auth/login?next=%2Fplugins%2Fnotes%2Fadmin%2Fx%3Fa%3D1");
  assert.is(roles.loginRedirect(anonymous, "GET", "application/json", "/x"), undefined);
  assert.is(roles.loginRedirect(anonymous, "POST", "text/html", "/x"), undefined);
  assert.is(roles.error("notes", anonymous).code, ErrorCode.ACCESS_UNAUTHENTICATED);
  const viewer = roles.check("notes", "/plugins/notes/admin", { identity: who(["viewer"]) })!;
  assert.is(roles.loginRedirect(viewer, "GET", "text/html", "/x"), undefined);
  const error = roles.error("notes", viewer);
  assert.is(error.code, ErrorCode.ACCESS_FORBIDDEN);
  assert.match(error.message, /"admin"/);
  assert.match(error.message, /"viewer"/);
  // A malformed identity is a signed-out request.
  assert.is(roles.check("notes", "/plugins/notes/admin", { identity: { roles: "admin" } })?.identity, null);
});

test("a static file is checked under its path and, when fingerprinted, under its plain name", () => {
  const { log } = silentLogger();
  const roles = new RouteRoles(log);
  roles.configure([{ ...manifest({ access: [{ path: "/static/report.pdf", roles: ["admin"] }] }), name: "docs" }], { providers: [] });
  assert.ok(roles.checkStatic("docs", "/plugins/docs/static/report.pdf", {}));
  assert.ok(roles.checkStatic("docs", "/plugins/docs/static/report.3f2a9c1b.pdf", {}), "the fingerprinted URL of the same file");
  assert.is(roles.check("docs", "/plugins/docs/static/report.3f2a9c1b.pdf", {}), undefined, "check alone would miss it");
  assert.is(roles.checkStatic("docs", "/plugins/docs/static/other.3f2a9c1b.pdf", {}), undefined);
  assert.is(roles.checkStatic("docs", "/plugins/docs/static/report.pdf", { identity: who(["admin"]) }), undefined);
});

test.run();
