// End to end, over real HTTP (raw sockets where no client would send the bytes): request
// smuggling shapes, oversized headers, bad URLs, SQL parameters, XSS in the host's own pages and
// CSRF cases csrf.test.ts does not cover. The rob-web fixture records every request it sees, so
// each test asserts that the plugin saw exactly the requests meant for it, and nothing smuggled.
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { send } from "../helpers/http.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";
import { rawExchange } from "../helpers/raw-socket.ts";

const P = "/plugins/rob-web";
const web = suite<{ t: TestHost; admin: pg.Pool }>("web security");

web.before(async (ctx) => {
  ctx.admin = openAdmin("web security e2e");
  await resetPluginDatabases(ctx.admin, ["rob-web"]);
  ctx.t = await startTestHost({ plugins: ["rob-web"] });
});
web.after(async (ctx) => {
  await ctx.t.close();
  await resetPluginDatabases(ctx.admin, ["rob-web"]);
  await ctx.admin.end();
});

interface Seen { method: string; path: string; body: string }
async function seen(t: TestHost): Promise<Seen[]> {
  return await (await fetch(`${t.url}${P}/seen`)).json() as Seen[];
}
/** Runs `act` and returns the requests the plugin saw meanwhile. */
async function seenDuring(t: TestHost, act: () => Promise<unknown>): Promise<Seen[]> {
  const before = (await seen(t)).length;
  await act();
  return (await seen(t)).slice(before);
}
const head = (lines: string[]) => lines.join("\r\n") + "\r\n\r\n";

web("a control: two pipelined requests on one connection both reach the plugin, in order, and nothing else", async ({ t }) => {
  const got = await seenDuring(t, async () => {
    const r = await rawExchange(t.url, head([`GET ${P}/mark/p1 HTTP/1.1`, "Host: x"]) + head([`POST ${P}/mark/p2 HTTP/1.1`, "Host: x", "Content-Length: 3", "Connection: close"]) + "abc");
    assert.equal(r.statuses, [200, 200]);
  });
  assert.equal(got, [{ method: "GET", path: "/mark/p1", body: "" }, { method: "POST", path: "/mark/p2", body: "abc" }]);
});

web("request-smuggling shapes are refused with 400 and the connection closed; no request of them reaches the plugin", async ({ t }) => {
  const smuggled = head([`GET ${P}/mark/smuggled HTTP/1.1`, "Host: x"]);
  const shapes: Record<string, string> = {
    "CL then TE": head([`POST ${P}/mark/s1 HTTP/1.1`, "Host: x", "Content-Length: 4", "Transfer-Encoding: chunked"]) + "0\r\n\r\n" + smuggled,
    "TE then CL": head([`POST ${P}/mark/s2 HTTP/1.1`, "Host: x", "Transfer-Encoding: chunked", "Content-Length: 48"]) + "0\r\n\r\n" + smuggled,
    "two different Content-Lengths": head([`POST ${P}/mark/s3 HTTP/1.1`, "Host: x", "Content-Length: 0", "Content-Length: 44"]) + smuggled,
    "the same Content-Length twice": head([`POST ${P}/mark/s4 HTTP/1.1`, "Host: x", "Content-Length: 2", "Content-Length: 2"]) + "ab",
    "a Content-Length list": head([`POST ${P}/mark/s5 HTTP/1.1`, "Host: x", "Content-Length: 2, 2"]) + "ab",
    "TE with a space before the colon": head([`POST ${P}/mark/s6 HTTP/1.1`, "Host: x", "Transfer-Encoding : chunked", "Content-Length: 5"]) + "0\r\n\r\n",
    "TE xchunked": head([`POST ${P}/mark/s7 HTTP/1.1`, "Host: x", "Transfer-Encoding: xchunked"]) + "0\r\n\r\n",
    "TE chunked, identity": head([`POST ${P}/mark/s8 HTTP/1.1`, "Host: x", "Transfer-Encoding: chunked, identity"]) + "0\r\n\r\n",
    "obs-fold": head([`GET ${P}/mark/s9 HTTP/1.1`, "Host: x", "X-A: a", " b"]),
    "obs-fold hiding TE": head([`POST ${P}/mark/s10 HTTP/1.1`, "Host: x", "Transfer-Encoding:", " chunked"]) + "0\r\n\r\n" + smuggled,
    "bare LF line ends": `GET ${P}/mark/s11 HTTP/1.1\nHost: x\n\n` + smuggled,
    "a bare LF inside the headers": `GET ${P}/mark/s12 HTTP/1.1\r\nHost: x\nX-B: y\r\n\r\n`,
    "a bare CR inside the headers": `GET ${P}/mark/s13 HTTP/1.1\r\nHost: x\rX-B: y\r\n\r\n`,
    "a bad chunk size": head([`POST ${P}/mark/s14 HTTP/1.1`, "Host: x", "Transfer-Encoding: chunked"]) + "zz\r\nab\r\n0\r\n\r\n" + smuggled,
  };
  const got = await seenDuring(t, async () => {
    for (const [shape, bytes] of Object.entries(shapes)) {
      const r = await rawExchange(t.url, bytes);
      assert.equal(r.statuses, [400], `${shape}: ${r.text.slice(0, 200)}`);
      assert.match(r.text, /Connection: close/i, shape);
    }
  });
  assert.equal(got, [], "the plugin saw none of them");
  assert.is((await fetch(`${t.url}${P}/mark/after`)).status, 200, "the host keeps serving");
});

web("oversized headers and URLs are refused with 431 before the plugin sees them", async ({ t }) => {
  const got = await seenDuring(t, async () => {
    for (const bytes of [
      head([`GET ${P}/mark/h1 HTTP/1.1`, "Host: x", `X-Big: ${"a".repeat(20_000)}`]),
      head([`GET ${P}/mark/h2 HTTP/1.1`, "Host: x", ...Array.from({ length: 1000 }, (_, i) => `X-H${i}: ${"v".repeat(20)}`)]),
      head([`GET ${P}/mark/h3?${"q".repeat(20_000)} HTTP/1.1`, "Host: x"]),
    ]) {
      assert.equal((await rawExchange(t.url, bytes)).statuses, [431]);
    }
  });
  assert.equal(got, []);
});

web("bad URLs: dot segments stay inside the host's routes, NUL and two Host headers are 400, * is 400, absolute-form is routed by its path", async ({ t }) => {
  const got = await seenDuring(t, async () => {
    // Dot segments are resolved before routing (as browsers do): they can reach the host's own
    // routes, never a file and never another plugin under a wrong name.
    for (const path of ["/plugins/../health", `${P}/../../health`, `${P}/%2e%2e/%2e%2e/health`]) {
      const r = await rawExchange(t.url, head([`GET ${path} HTTP/1.1`, "Host: x", "Connection: close"]));
      assert.equal(r.statuses, [200], path);
      assert.match(r.text, /"status":"ok"/, `${path} is /health`);
    }
    const admin = await rawExchange(t.url, head([`GET ${P}/../../admin/plugins HTTP/1.1`, "Host: x", "Connection: close"]));
    assert.equal(admin.statuses, [401], "the admin API still asks for credentials");
    for (const bytes of [
      head([`GET ${P}/mark/a%00b HTTP/1.1`, "Host: x", "Connection: close"]),
      head([`GET ${P}/mark/%00 HTTP/1.1`, "Host: x", "Connection: close"]),
      head([`GET ${P}/mark/n1 HTTP/1.1`, "Host: x", "Host: evil.example", "Connection: close"]),
    ]) {
      const r = await rawExchange(t.url, bytes);
      assert.equal(r.statuses, [400], r.text.slice(0, 300));
      assert.match(r.text, /"code":"CORRAL_E_BAD_REQUEST"/);
      assert.match(r.text, /x-content-type-options: nosniff/i, "the host's refusal carries the secure headers");
    }
    const rawNul = await rawExchange(t.url, `GET ${P}/mark/a\0b HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(rawNul.statuses, [400], "a raw NUL is refused by Node's parser");
    for (const method of ["OPTIONS", "GET"]) {
      assert.equal((await rawExchange(t.url, head([`${method} * HTTP/1.1`, "Host: x", "Connection: close"]))).statuses, [400], `${method} *`);
    }
    const absolute = await rawExchange(t.url, head([`GET http://evil.example${P}/mark/abs?x=1 HTTP/1.1`, "Host: x", "Connection: close"]));
    assert.equal(absolute.statuses, [200]);
    assert.match(absolute.text, /mark abs/);
    const absoluteHealth = await rawExchange(t.url, head(["GET http://evil.example/health HTTP/1.1", "Host: x", "Connection: close"]));
    assert.match(absoluteHealth.text, /"status":"ok"/);
  });
  assert.equal(got, [{ method: "GET", path: "/mark/abs", body: "" }], "only the absolute-form request reached the plugin, with its path");
});

web("SQL parameters: injection strings are stored and returned verbatim, match only themselves, and run no statement", async ({ t }) => {
  const inputs = [
    "'; DROP TABLE notes; --",
    "' OR '1'='1",
    "x\"); DELETE FROM notes; --",
    "$1 $2 \\' \\\\ %s %d ${text}",
    "<script>alert(1)</script> ☃ 𝄞",
    "a'||(SELECT current_user)||'",
  ];
  const tablesBefore = await (await fetch(`${t.url}${P}/tables`)).json();
  assert.equal(tablesBefore, ["kysely_migration", "kysely_migration_lock", "notes"]);
  for (const text of inputs) {
    const res = await fetch(`${t.url}${P}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
    assert.is(res.status, 200);
    assert.is((await res.json() as { text: string }).text, text, "returned verbatim");
  }
  for (const text of inputs) {
    const found = await (await fetch(`${t.url}${P}/notes?q=${encodeURIComponent(text)}`)).json() as { rows: Array<{ text: string }>; count: number };
    assert.equal(found.rows.map((r) => r.text), [text], `${text} matches only itself`);
    assert.is(found.count, 1);
  }
  const tautology = await (await fetch(`${t.url}${P}/notes?q=${encodeURIComponent("nothing' OR '1'='1")}`)).json() as { rows: unknown[]; count: number };
  assert.equal([tautology.rows.length, tautology.count], [0, 0], "a tautology is just a string");
  assert.equal(await (await fetch(`${t.url}${P}/tables`)).json(), tablesBefore, "no table was dropped");
});

web("XSS: the host's own HTML error pages escape what the URL reflects; JSON errors are JSON with nosniff", async ({ t }) => {
  const payload = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
  for (const path of [`/plugins/${payload}/x`, `/${payload}`, `/plugins/x%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/`]) {
    const page = await send(`${t.url}${path}`, { headers: { accept: "text/html" } });
    assert.is(page.status, 404, path);
    assert.not.match(page.text, /<script>alert|<img src=x/i, `${path}: ${page.text.slice(0, 300)}`);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
    const api = await send(`${t.url}${path}`);
    assert.match(String(api.headers["content-type"]), /^application\/json/);
    assert.is(api.headers["x-content-type-options"], "nosniff");
  }
});

web("CSRF: a token in the query string, a JSON body or a text/plain form does not count; a method override does not bypass", async ({ t }) => {
  const token = "A".repeat(43);
  const cookie = `corral_csrf=${token}`;
  const got = await seenDuring(t, async () => {
    const attempts = [
      { path: `${P}/mark/c1?_csrf=${token}`, type: "application/x-www-form-urlencoded", body: "a=1" },
      { path: `${P}/mark/c2`, type: "application/json", body: JSON.stringify({ _csrf: token }) },
      // A cross-site <form enctype="text/plain"> can send exactly this body.
      { path: `${P}/mark/c3`, type: "text/plain", body: `_csrf=${token}` },
      { path: `${P}/mark/c4?_method=GET`, type: "application/x-www-form-urlencoded", body: "_method=GET", extra: { "x-http-method-override": "GET" } },
    ];
    for (const a of attempts) {
      const res = await send(`${t.url}${a.path}`, { method: "POST", body: a.body, headers: { cookie, "content-type": a.type, ...a.extra } });
      assert.is(res.status, 403, a.path);
      assert.match(res.text, /CORRAL_E_CSRF/);
    }
    // The same request with the token where it belongs is forwarded: the refusals above are about the token's place.
    const ok = await send(`${t.url}${P}/mark/c5`, { method: "POST", body: `_csrf=${token}`, headers: { cookie, "content-type": "application/x-www-form-urlencoded; charset=UTF-8" } });
    assert.is(ok.status, 200);
  });
  assert.equal(got.map((s) => s.path), ["/mark/c5"]);
});

web.run();
