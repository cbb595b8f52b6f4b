/**
 * The plugin registry end to end: a real registry (host/registry/) on DATABASE_URL over real HTTP,
 * the host's registry client and update check against it, and the browse page in Chromium.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import pg from "pg";
import { accountForToken, createAccount } from "../../host/registry/accounts.ts";
import { runCli } from "../../host/cli/dispatch.ts";
import { startRegistry } from "../../host/registry/start-registry.ts";
import type { RunningRegistry } from "../../host/registry/start-registry.ts";
import { RegistryClient } from "../../host/registry-client/registry-client.ts";
import type { UpdatesReport } from "../../host/registry-client/update-check.ts";
import { rejection } from "../helpers/assert.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { memoryLogger, requireDatabaseUrl } from "../helpers/database.ts";
import { startTestHost } from "../helpers/host.ts";
import { buildTestPackage, newPrivateKey, tamperPackage } from "../helpers/packages.ts";
import { keyIdOf } from "../../host/packages/signing.ts";
import { createPublicKey } from "node:crypto";

const DATABASE_URL = requireDatabaseUrl("registry e2e");

interface Ctx {
  registry: RunningRegistry;
  tokens: Record<"alice" | "bob" | "rita" | "dave", string>;
  /** The publishers' signing key (PEM), as corral keygen writes it. */
  key: string;
  published: Map<string, Buffer>;
}
const test = suite<Ctx>("registry");

async function call(ctx: Ctx, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${ctx.registry.url}${path}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** POST /api/publish with a .corral file as the body. */
async function upload(ctx: Ctx, bytes: Buffer, options: { token?: string; keywords?: string } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${ctx.registry.url}/api/publish${options.keywords === undefined ? "" : `?keywords=${options.keywords}`}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) },
    body: bytes,
  });
  return { status: response.status, body: await response.json() };
}

/** A signed package of `manifest`, with a CHANGELOG.md section for its version when `changelog` is given. */
function signed(ctx: Ctx, manifest: Record<string, unknown>, changelog?: string): Buffer {
  const files: Record<string, string> = changelog === undefined ? {} : { "CHANGELOG.md": `# Changelog\n\n## [${manifest.version}] - 2024-05-01\n${changelog}\n\n## [0.0.1]\nOlder.\n` };
  return buildTestPackage({ manifest, files }, ctx.key);
}

async function publish(ctx: Ctx, token: string, manifest: Record<string, unknown>, options: { changelog?: string; keywords?: string } = {}) {
  const bytes = signed(ctx, manifest, options.changelog);
  const answer = await upload(ctx, bytes, { token, ...(options.keywords === undefined ? {} : { keywords: options.keywords }) });
  assert.is(answer.status, 201, JSON.stringify(answer.body));
  ctx.published.set(`${manifest.name}@${manifest.version}`, bytes);
  return answer.body;
}

function gunzipText(bytes: Buffer): string {
  return gunzipSync(bytes).toString("latin1");
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test.before(async (ctx) => {
  // This suite owns schema corral_registry in its database: start from nothing.
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await pool.query("drop schema if exists corral_registry cascade");
  await pool.end();
  ctx.registry = await startRegistry({ port: 0, hostname: "127.0.0.1", databaseUrl: DATABASE_URL, dataDir: "/nonexistent", logger: memoryLogger().logger });
  const make = async (name: string, role: "publisher" | "reviewer") => (await createAccount(ctx.registry.db, name, role)).token;
  ctx.tokens = { alice: await make("reg-alice", "publisher"), bob: await make("reg-bob", "publisher"), rita: await make("reg-rita", "reviewer"), dave: await make("reg-dave", "publisher") };
  ctx.key = newPrivateKey();
  ctx.published = new Map();
  const weather = (version: string, hostApi = "^0.1.0") => ({ name: "reg-weather", version, hostApi, description: "Weather from an API", permissions: { net: ["api.weather.example:443"] } });
  await publish(ctx, ctx.tokens.alice, weather("1.0.0"), { keywords: "weather,api", changelog: "First release." });
  await publish(ctx, ctx.tokens.alice, weather("1.2.0"), { changelog: "Caches forecasts." });
  await publish(ctx, ctx.tokens.alice, weather("1.3.0"), { changelog: "Fixes the forecast injection (advisory)." });
  await publish(ctx, ctx.tokens.alice, weather("2.0.0", "^9.0.0"), { changelog: "Needs host API 9." });
  await publish(ctx, ctx.tokens.bob, { name: "reg-quiet", version: "0.1.0", hostApi: "^0.1.0", description: "Notes without network", database: true }, { keywords: "notes" });
});

test.after(async (ctx) => {
  await ctx.registry?.close();
});

test("publish is refused without a token, with an unknown token, unsigned, tampered (the file named), or with a signature that does not verify", async (ctx) => {
  const manifest = { name: "reg-nope", version: "1.0.0", hostApi: "^0.1.0" };
  const good = buildTestPackage({ manifest, files: { "mod.ts": "export const answer = 42;\n" } }, ctx.key);
  const none = await upload(ctx, good);
  assert.is(none.status, 401);
  assert.is(none.body.error.code, "CORRAL_E_REGISTRY_AUTH");
  assert.is((await upload(ctx, good, { token: "crt_not-a-token" })).status, 401);

  const unsigned = await upload(ctx, buildTestPackage({ manifest }), { token: ctx.tokens.alice });
  assert.is(unsigned.status, 422);
  assert.is(unsigned.body.error.code, "CORRAL_E_REGISTRY_SIGNATURE");
  assert.match(unsigned.body.error.message, /reg-nope@1\.0\.0 is unsigned.*npx corral sign/);

  const tampered = await upload(ctx, tamperPackage(good, "answer = 42", "answer = 43"), { token: ctx.tokens.alice });
  assert.is(tampered.status, 400);
  assert.is(tampered.body.error.code, "CORRAL_E_PACKAGE_INVALID");
  assert.match(tampered.body.error.message, /changed file: mod\.ts/);

  // The signature's bytes changed: the file list is intact, but the signature no longer verifies over it.
  const signature = /"signature": "(.{8})/.exec(gunzipText(good))![1]!;
  const forged = await upload(ctx, tamperPackage(good, signature, signature.split("").reverse().join("")), { token: ctx.tokens.alice });
  assert.is(forged.status, 422);
  assert.match(forged.body.error.message, /does not verify over corral-files\.json/);

  const asJson = await call(ctx, "POST", "/api/publish", { token: ctx.tokens.alice, body: { package: good.toString("base64") } });
  assert.is(asJson.status, 400);
  assert.match(asJson.body.error.message, /application\/octet-stream/);
  assert.is((await call(ctx, "GET", "/api/plugins/reg-nope")).status, 404, "nothing refused was stored");
});

test("a publish reads manifest, changelog and signer from inside the package", async (ctx) => {
  const version = (await call(ctx, "GET", "/api/plugins/reg-weather/versions/1.2.0")).body;
  assert.is(version.changelog, "Caches forecasts.", "its own section of CHANGELOG.md, not the others");
  assert.is(version.keyId, keyIdOf(createPublicKey(ctx.key).export({ type: "spki", format: "pem" }).toString()));
  assert.equal(version.manifest.permissions.net, ["api.weather.example:443"]);
  assert.equal(version.permissions, ["net"]);
});

test("a published version is immutable, and a name belongs to its first publisher", async (ctx) => {
  const again = await upload(ctx, signed(ctx, { name: "reg-weather", version: "1.0.0", hostApi: "^0.1.0" }), { token: ctx.tokens.alice });
  assert.is(again.status, 409);
  assert.is(again.body.error.code, "CORRAL_E_REGISTRY_CONFLICT");
  const squat = await upload(ctx, signed(ctx, { name: "reg-weather", version: "9.0.0", hostApi: "^0.1.0" }), { token: ctx.tokens.bob });
  assert.is(squat.status, 403);
  assert.match(squat.body.error.message, /reg-alice/);
  const bytes = await (await fetch(`${ctx.registry.url}/api/plugins/reg-weather/versions/1.0.0/download`)).arrayBuffer();
  assert.ok(Buffer.from(bytes).equals(ctx.published.get("reg-weather@1.0.0")!), "1.0.0 still has its first bytes");
});

test("search by words, keyword and permission (plugins that need no net)", async (ctx) => {
  const names = async (query: string) => ((await call(ctx, "GET", `/api/plugins?${query}`)).body.plugins as { name: string }[]).map((p) => p.name);
  assert.equal(await names("keyword=weather"), ["reg-weather"]);
  assert.equal(await names("q=without+network"), ["reg-quiet"]);
  assert.equal(await names("without=net"), ["reg-quiet"]);
  assert.equal(await names("needs=net"), ["reg-weather"]);
  assert.equal(await names("needs=database&without=net"), ["reg-quiet"]);
  const bad = await call(ctx, "GET", "/api/plugins?without=internet");
  assert.is(bad.status, 400);
  assert.match(bad.body.error.message, /unknown permission "internet"/);
  // The host's client sees the same.
  const client = new RegistryClient({ url: ctx.registry.url });
  assert.equal((await client.search({ without: ["net"] })).map((p) => p.name), ["reg-quiet"]);
});

test("version listing with a semver range, newest first, with changelogs; a bad range is refused", async (ctx) => {
  const answer = await call(ctx, "GET", "/api/plugins/reg-weather/versions?range=%5E1.2");
  assert.is(answer.status, 200);
  assert.equal(answer.body.versions.map((v: { version: string }) => v.version), ["1.3.0", "1.2.0"]);
  assert.is(answer.body.versions[1].changelog, "Caches forecasts.");
  const client = new RegistryClient({ url: ctx.registry.url });
  assert.is((await client.resolve("reg-weather", "~1.0"))?.version, "1.0.0");
  assert.is(await client.resolve("reg-weather", "^3"), null);
  const bad = await call(ctx, "GET", "/api/plugins/reg-weather/versions?range=not-a-range");
  assert.is(bad.status, 400);
  assert.is(bad.body.error.code, "CORRAL_E_REGISTRY_INVALID");
});

test("download answers the published bytes and their SHA-256", async (ctx) => {
  const client = new RegistryClient({ url: ctx.registry.url });
  const file = await client.download("reg-weather", "1.2.0");
  const published = ctx.published.get("reg-weather@1.2.0")!;
  assert.ok(Buffer.from(file.bytes).equals(published));
  assert.is(file.sha256, createHash("sha256").update(published).digest("hex"));
  const missing = await rejection(client.download("reg-weather", "7.7.7"));
  assert.is(missing.code, "CORRAL_E_REGISTRY_NOT_FOUND");
});

test("ratings and reviews: one per user per plugin, editable", async (ctx) => {
  assert.is((await call(ctx, "PUT", "/api/plugins/reg-quiet/reviews", { token: ctx.tokens.alice, body: { rating: 4, body: "Good" } })).status, 200);
  const edited = await call(ctx, "PUT", "/api/plugins/reg-quiet/reviews", { token: ctx.tokens.alice, body: { rating: 2, body: "Lost my notes" } });
  assert.is(edited.body.rating, 2);
  await call(ctx, "PUT", "/api/plugins/reg-quiet/reviews", { token: ctx.tokens.dave, body: { rating: 5, body: "Great" } });
  const reviews = (await call(ctx, "GET", "/api/plugins/reg-quiet/reviews")).body.reviews as { user: string; rating: number; body: string }[];
  assert.equal(reviews.map((r) => [r.user, r.rating, r.body]).sort(), [["reg-alice", 2, "Lost my notes"], ["reg-dave", 5, "Great"]]);
  assert.equal((await call(ctx, "GET", "/api/plugins/reg-quiet")).body.rating, { average: 3.5, count: 2 });
  const bad = await call(ctx, "PUT", "/api/plugins/reg-quiet/reviews", { token: ctx.tokens.alice, body: { rating: 6 } });
  assert.is(bad.status, 400);
  assert.is((await call(ctx, "PUT", "/api/plugins/reg-quiet/reviews", { body: { rating: 3 } })).status, 401);
});

test("security-review status per version is set by reviewers only", async (ctx) => {
  const byPublisher = await call(ctx, "POST", "/api/plugins/reg-weather/versions/1.3.0/review", { token: ctx.tokens.alice, body: { status: "approved" } });
  assert.is(byPublisher.status, 403);
  const set = await call(ctx, "POST", "/api/plugins/reg-weather/versions/1.3.0/review", { token: ctx.tokens.rita, body: { status: "approved", note: "checked the net grant" } });
  assert.is(set.status, 200);
  const versions = (await call(ctx, "GET", "/api/plugins/reg-weather/versions")).body.versions as { version: string; review: { status: string; by: string | null } }[];
  assert.equal(versions.find((v) => v.version === "1.3.0")!.review, { status: "approved", note: "checked the net grant", by: "reg-rita", at: (set.body as { review: { at: string } }).review.at });
  assert.is(versions.find((v) => v.version === "1.2.0")!.review.status, "unreviewed");
  assert.is((await call(ctx, "POST", "/api/plugins/reg-weather/versions/1.3.0/review", { token: ctx.tokens.rita, body: { status: "fine" } })).status, 400);
});

test("issue and feature-request threads with comments and a status", async (ctx) => {
  const opened = await call(ctx, "POST", "/api/plugins/reg-weather/threads", { token: ctx.tokens.bob, body: { kind: "issue", title: "Crashes on hail", body: "Steps..." } });
  assert.is(opened.status, 201);
  assert.is(opened.body.status, "open");
  const id = opened.body.id as number;
  assert.is((await call(ctx, "POST", `/api/threads/${id}/comments`, { token: ctx.tokens.alice, body: { body: "Fixed in 1.3.0" } })).status, 201);
  assert.is((await call(ctx, "POST", `/api/threads/${id}/status`, { token: ctx.tokens.dave, body: { status: "closed" } })).status, 403, "neither author, owner nor reviewer");
  const closed = await call(ctx, "POST", `/api/threads/${id}/status`, { token: ctx.tokens.alice, body: { status: "closed" } });
  assert.is(closed.body.status, "closed");
  const feature = await call(ctx, "POST", "/api/plugins/reg-weather/threads", { token: ctx.tokens.dave, body: { kind: "feature", title: "Wind speed" } });
  const thread = (await call(ctx, "GET", `/api/threads/${id}`)).body;
  assert.equal(thread.comments.map((c: { author: string; body: string }) => [c.author, c.body]), [["reg-alice", "Fixed in 1.3.0"]]);
  const list = (await call(ctx, "GET", "/api/plugins/reg-weather/threads")).body.threads as { id: number; kind: string; status: string; comments: number }[];
  assert.equal(list.map((t) => [t.id, t.kind, t.status, t.comments]), [[feature.body.id, "feature", "open", 0], [id, "issue", "closed", 1]]);
  assert.is((await call(ctx, "POST", "/api/plugins/reg-weather/threads", { token: ctx.tokens.dave, body: { kind: "rant", title: "x" } })).status, 400);
});

test("an advisory reaches a host that runs an affected version: /health, GET /admin/updates, the log and the dashboard", async (ctx) => {
  assert.is((await call(ctx, "POST", "/api/plugins/reg-weather/advisories", { token: ctx.tokens.dave, body: { affected: "<1.3.0", severity: "high", title: "x" } })).status, 403);
  const advisory = await call(ctx, "POST", "/api/plugins/reg-weather/advisories", {
    token: ctx.tokens.rita, body: { affected: ">=1.0.0 <1.3.0", severity: "high", title: "Forecast text injection", body: "Update to 1.3.0." },
  });
  assert.is(advisory.status, 201);
  // The fixture installs reg-weather 1.2.0; reg-quiet's fixture is not installed, echo is unknown to the registry.
  const t = await startTestHost({ plugins: ["reg-weather", "echo"], env: { CORRAL_REGISTRY_URL: ctx.registry.url } });
  try {
    await t.host.started;
    const health = await waitFor("the first registry check", async () => {
      const report = await (await fetch(`${t.url}/health`)).json() as { updates?: UpdatesReport };
      return report.updates?.checkedAt ? report.updates : undefined;
    });
    assert.is(health.error, undefined);
    assert.is(health.warnings, 1);
    const weather = health.plugins.find((p) => p.name === "reg-weather")!;
    assert.is(weather.installed, "1.2.0");
    assert.is(weather.latest, "1.3.0", "2.0.0 needs host API ^9.0.0: not offered");
    assert.equal(weather.newer.map((v) => [v.version, v.changelog, v.review]), [["1.3.0", "Fixes the forecast injection (advisory).", "approved"]]);
    assert.equal(weather.advisories.map((a) => [a.title, a.severity, a.affected]), [["Forecast text injection", "high", ">=1.0.0 <1.3.0"]]);
    assert.is(health.plugins.find((p) => p.name === "echo")!.known, false);

    const bearer = { authorization: `Bearer ${t.host.adminToken}` };
    const admin = await (await fetch(`${t.url}/admin/updates`, { headers: bearer })).json() as UpdatesReport;
    assert.equal(admin.plugins, health.plugins);
    const warnings = t.logs.filter((r) => r.level === "warn" && r.message === "security advisory affects the installed version");
    assert.is(warnings.length, 1);
    assert.is(warnings[0]!.plugin, "reg-weather");
    // A second check (on demand) finds the same advisory and does not log it again.
    const again = await (await fetch(`${t.url}/admin/updates/check`, { method: "POST", headers: bearer })).json() as UpdatesReport;
    assert.is(again.warnings, 1);
    assert.is(t.logs.filter((r) => r.message === "security advisory affects the installed version").length, 1);
    const dashboard = await (await fetch(`${t.url}/admin/ui/`, { headers: bearer })).text();
    assert.match(dashboard, /data-testid="advisory">Security advisory for <strong>reg-weather<\/strong> 1\.2\.0 \(high, affects &gt;&#x3D;1\.0\.0 &lt;1\.3\.0\): Forecast text injection · update to 1\.3\.0/);
  } finally {
    await t.close();
  }
});

test("the browse page renders in Chromium with user text escaped", async (ctx) => {
  const hostile = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;
  await call(ctx, "PUT", "/api/plugins/reg-weather/reviews", { token: ctx.tokens.bob, body: { rating: 1, body: hostile } });
  const thread = await call(ctx, "POST", "/api/plugins/reg-weather/threads", { token: ctx.tokens.bob, body: { kind: "issue", title: hostile, body: hostile } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${ctx.registry.url}/?without=net`);
    assert.equal(await page.locator("tr[data-plugin]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-plugin"))), ["reg-quiet"]);
    await page.goto(`${ctx.registry.url}/plugins/reg-weather`);
    assert.is(await page.locator("h1").textContent(), "reg-weather");
    assert.equal(await page.locator("tr[data-version]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-version"))), ["2.0.0", "1.3.0", "1.2.0", "1.0.0"]);
    assert.match(await page.locator("tr[data-version='1.3.0']").textContent() ?? "", /approved/);
    assert.is(await page.locator("tr[data-version='1.3.0'] [data-testid=changelog]").textContent(), "Fixes the forecast injection (advisory).");
    assert.match(await page.locator("[data-testid=advisory]").textContent() ?? "", /Forecast text injection/);
    const reviewTexts = await page.locator("[data-testid=review] pre").allTextContents();
    assert.ok(reviewTexts.includes(hostile), "the review's text is shown as text");
    assert.is(await page.locator("img[src=x]").count(), 0);
    await page.goto(`${ctx.registry.url}/threads/${thread.body.id}`);
    assert.is(await page.locator("h1").textContent(), hostile);
    assert.is(await page.title(), `${hostile} · Corral registry`);
    assert.is(await page.locator("img[src=x]").count(), 0);
  } finally {
    await browser.close();
  }
});

test("corral registry account creates an account whose token the registry accepts; --help and usage errors", async (ctx) => {
  const out: string[] = [];
  const err: string[] = [];
  const context = {
    stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) },
    env: { DATABASE_URL }, cwd: process.cwd(), signal: new AbortController().signal,
  } as unknown as Parameters<typeof runCli>[1];
  assert.is(await runCli(["registry", "account", "reg-cli", "--role", "reviewer"], context), 0);
  const token = out.join("").trim();
  assert.equal(await accountForToken(ctx.registry.db, token), { id: (await accountForToken(ctx.registry.db, token))!.id, name: "reg-cli", role: "reviewer" });
  assert.is(await runCli(["registry", "account", "reg-cli"], context), 3, "the name is taken");
  assert.match(err.join(""), /CORRAL_E_REGISTRY_CONFLICT/);
  assert.is(await runCli(["registry", "--port", "many"], context), 2);
  out.length = 0;
  assert.is(await runCli(["registry", "--help"], context), 0);
  assert.match(out.join(""), /corral registry account <name>/);
});

test.run();
