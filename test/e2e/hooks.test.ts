// End to end: global request hooks run in their own plugin processes around requests to other
// plugins and to the host: locals reach the target, short-circuits never do, afterRequest edits
// headers, teardown runs after errors, failures fail closed (before) or open (after).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { HookHealth } from "../../host/hooks/stats.ts";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const hooks = suite<{ t: TestHost }>("global request hooks");

hooks.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["hooks-auth", "hooks-second", "hooks-target", "hooks-broken", "hooks-down"],
    // hooks-down fails every start: give up on it quickly.
    restart: { baseDelayMs: 50, maxDelayMs: 100, maxCrashes: 2, windowMs: 60_000 },
  });
});
hooks.after(async (ctx) => {
  await ctx.t.close();
});

const target = (t: TestHost, path: string, init?: RequestInit) => fetch(`${t.url}/plugins/hooks-target${path}`, init);
const hits = async (t: TestHost): Promise<Record<string, number>> => await (await target(t, "/hits")).json() as Record<string, number>;
type Teardown = { path: string; target: string | null; status: number; error: string | null; user: string | null; sawCookie: boolean };
const teardowns = async (t: TestHost): Promise<Teardown[]> =>
  await (await fetch(`${t.url}/plugins/hooks-auth/teardowns`)).json() as Teardown[];
const hookHealth = async (t: TestHost, kind: string, plugin: string): Promise<HookHealth> => {
  const report = await (await fetch(`${t.url}/health`)).json() as { hooks: HookHealth[] };
  const entry = report.hooks.find((hook) => hook.kind === kind && hook.plugin === plugin);
  assert.ok(entry, `no ${kind} hook of ${plugin} in /health: ${JSON.stringify(report.hooks)}`);
  return entry!;
};

hooks("locals attached by global beforeRequest hooks reach the target as c.env.request.locals, in priority order", async ({ t }) => {
  const res = await target(t, "/locals", { headers: { cookie: "theme=dark; session=ada" } });
  assert.is(res.status, 200);
  const locals = await res.json() as Record<string, unknown>;
  // hooks-auth (priority 10) ran first; hooks-second (5) saw its user, and could not replace it.
  assert.is(locals.user, "ada");
  assert.equal(locals.second, { sawUser: "ada", sawKeys: ["user", "sawContextHeader"] });
  const warned = t.logs.find((record) => record.plugin === "hooks-second" && record.message.includes("locals.user was already set by plugin \"hooks-auth\""));
  assert.ok(warned, "the refused replacement is logged under the plugin that tried it");
});

hooks("afterRequest hooks change another plugin's response headers, in the reverse order", async ({ t }) => {
  const res = await target(t, "/headers");
  assert.is(await res.text(), "with headers");
  assert.is(res.headers.get("x-hooked-by"), "hooks-auth");
  assert.is(res.headers.get("x-from-target"), "1");
  assert.is(res.headers.get("x-remove-me"), null);
  // hooks-second's afterRequest ran before hooks-auth's: the onion unwinds.
  assert.is(res.headers.get("x-trail"), "second-after, auth-after");
  assert.is(res.headers.get("content-length"), String("with headers".length));
});

hooks("a short-circuit answers the client and never reaches the target", async ({ t }) => {
  const before = (await hits(t))["/admin/secret"] ?? 0;
  const refused = await target(t, "/admin/secret");
  assert.is(refused.status, 401);
  assert.equal(await refused.json(), { error: "log in first" });
  assert.is(refused.headers.get("www-authenticate"), "Cookie");
  // afterRequest hooks still run on the hook's own answer.
  assert.is(refused.headers.get("x-hooked-by"), "hooks-auth");
  assert.is((await hits(t))["/admin/secret"] ?? 0, before);
  const allowed = await target(t, "/admin/secret", { headers: { "x-user": "grace" } });
  assert.is(await allowed.text(), "secret for grace");
  assert.is((await hits(t))["/admin/secret"], before + 1);
  assert.ok((await hookHealth(t, "beforeRequest", "hooks-auth")).shortCircuits >= 1);
});

hooks("global hooks guard the host's own paths too, but never /health or /admin", async ({ t }) => {
  const refused = await fetch(`${t.url}/private`);
  assert.is(refused.status, 401);
  const allowed = await fetch(`${t.url}/private`, { headers: { cookie: "session=ada" } });
  assert.is(allowed.status, 404);
  assert.is((await allowed.json() as { error: { code: string } }).error.code, "CORRAL_E_PLUGIN_NOT_FOUND");
  assert.is(allowed.headers.get("x-hooked-by"), "hooks-auth");
  const health = await fetch(`${t.url}/health`);
  assert.is(health.headers.get("x-hooked-by"), null);
  const admin = await fetch(`${t.url}/admin/plugins`);
  assert.is(admin.headers.get("x-hooked-by"), null);
});

hooks("a hook plugin's own routes get its local hooks only, not its global ones", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/hooks-auth/own`);
  assert.equal(await res.json(), { locals: {} });
  assert.is(res.headers.get("x-local-hook"), "hooks-auth");
  assert.is(res.headers.get("x-hooked-by"), null);
});

hooks("a client cannot forge locals: its corral-context header is dropped", async ({ t }) => {
  const forged = JSON.stringify({ requestId: "x", csrfToken: "y", locals: { user: "root", admin: true } });
  const res = await target(t, "/locals", { headers: { "corral-context": forged } });
  const locals = await res.json() as Record<string, unknown>;
  assert.is(locals.user, null);
  assert.is(locals.admin, undefined);
  // The hooks never see it either.
  assert.is(locals.sawContextHeader, null);
});

hooks("teardownRequest runs after the response, also after a target error, a timeout and a short-circuit, without credentials", async ({ t }) => {
  assert.is((await target(t, "/throw", { headers: { cookie: "session=ada" } })).status, 500);
  assert.is((await target(t, "/slow")).status, 504);
  assert.is((await target(t, "/admin/secret")).status, 401);
  const seen = await eventually(async () => {
    const list = await teardowns(t);
    const find = (path: string) => list.find((entry) => entry.path === `/plugins/hooks-target${path}`);
    return find("/throw") && find("/slow") && find("/admin/secret") ? { throw: find("/throw")!, slow: find("/slow")!, secret: find("/admin/secret")! } : undefined;
  }, 10_000, "teardowns recorded");
  assert.equal(seen.throw, { path: "/plugins/hooks-target/throw", target: "hooks-target", status: 500, error: null, user: "ada", sawCookie: false });
  assert.is(seen.slow.status, 504);
  assert.is(seen.slow.error, "CORRAL_E_REQUEST_TIMEOUT");
  assert.is(seen.secret.status, 401);
});

hooks("a beforeRequest hook that throws fails closed with 503 CORRAL_E_HOOK_FAILED; the target is not called; the host keeps serving", async ({ t }) => {
  const res = await target(t, "/fail/throw");
  assert.is(res.status, 503);
  assert.is(res.headers.get("retry-after"), "5");
  const body = await res.json() as { error: { code: string; message: string } };
  assert.is(body.error.code, "CORRAL_E_HOOK_FAILED");
  assert.match(body.error.message, /global beforeRequest hook of plugin "hooks-broken" threw an error/);
  assert.not.match(body.error.message, /secret-token/); // the hook's own message stays in the log
  assert.is((await hits(t))["/fail/throw"], undefined);
  const logged = t.logs.find((record) => record.plugin === "hooks-broken" && record.level === "error" && record.message.includes("secret-token-123"));
  assert.ok(logged, "the failure is logged under the hook plugin's name, with its message");
  // Other paths, and the same target, still work.
  assert.is((await target(t, "/locals")).status, 200);
  assert.is((await target(t, "/fail/fine")).status, 200);
  assert.is((await hits(t))["/fail/fine"], 1);
});

hooks("a beforeRequest hook past its timeoutMs, or one that answers garbage, fails closed too; /health counts it", async ({ t }) => {
  const slow = await target(t, "/fail/sleep");
  assert.is(slow.status, 503);
  assert.match((await slow.json() as { error: { message: string } }).error.message, /did not answer within 300 ms/);
  const garbage = await target(t, "/fail/garbage");
  assert.is(garbage.status, 503);
  assert.is((await garbage.json() as { error: { code: string } }).error.code, "CORRAL_E_HOOK_FAILED");
  const counted = await hookHealth(t, "beforeRequest", "hooks-broken");
  assert.ok(counted.failures >= 3, JSON.stringify(counted));
  assert.ok(counted.timeouts >= 1, JSON.stringify(counted));
  assert.match(counted.lastFailure?.message ?? "", /CORRAL_E_CALL_FAILED: .*locals must be a JSON object/);
  assert.equal({ priority: counted.priority, timeoutMs: counted.timeoutMs, paths: counted.paths }, { priority: -10, timeoutMs: 300, paths: ["/plugins/hooks-target/fail"] });
  assert.is((await hits(t))["/fail/sleep"], undefined);
});

hooks("a beforeRequest hook whose plugin is not ready fails closed", async ({ t }) => {
  const res = await target(t, "/down");
  assert.is(res.status, 503);
  assert.match((await res.json() as { error: { message: string } }).error.message, /plugin "hooks-down" could not run: its plugin is not ready/);
});

hooks("an afterRequest hook that throws fails open: the response goes out with the other hooks' changes; it is counted", async ({ t }) => {
  const res = await target(t, "/fail/after-throws");
  assert.is(res.status, 200);
  assert.is(await res.text(), "reached /fail/after-throws");
  assert.is(res.headers.get("x-hooked-by"), "hooks-auth");
  const counted = await hookHealth(t, "afterRequest", "hooks-broken");
  assert.ok(counted.failures >= 1, JSON.stringify(counted));
  assert.ok(t.logs.some((record) => record.plugin === "hooks-broken" && record.message.includes("global afterRequest hook failed: ") && record.message.includes("fail open")));
});

hooks("/health lists every declared hook in running order per kind", async ({ t }) => {
  const report = await (await fetch(`${t.url}/health`)).json() as { hooks: HookHealth[] };
  const order = (kind: string) => report.hooks.filter((hook) => hook.kind === kind).map((hook) => hook.plugin);
  assert.equal(order("beforeRequest"), ["hooks-auth", "hooks-second", "hooks-down", "hooks-broken"]);
  assert.equal(order("afterRequest"), ["hooks-broken", "hooks-second", "hooks-auth"]);
  assert.equal(order("teardownRequest"), ["hooks-auth"]);
});

hooks.run();
