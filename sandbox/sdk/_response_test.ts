/** Tests of bufferResponse, with and without the runner's string-body capture. @module */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { bufferResponse, captureStringBodies } from "./_response.ts";

const NativeResponse = globalThis.Response;
const what = () => "plugin \"t\" answering GET /";

/** Runs `body` with the capture installed, restoring the native `Response` afterwards. */
async function captured(body: () => Promise<void>): Promise<void> {
  captureStringBodies();
  try {
    await body();
  } finally {
    globalThis.Response = NativeResponse;
  }
}

/** What the stream path makes of the same response (the capture's reference). */
async function viaStream(make: () => Response, max = 1024) {
  return await bufferResponse(make(), max, what);
}

Deno.test("captured string bodies buffer to the same bytes, headers and status as through the stream", async () => {
  const cases: Array<[string, () => Response]> = [
    ["text", () => new Response("Hello, World!")],
    ["json", () => new Response(JSON.stringify({ a: "é😀" }), { status: 201, headers: { "content-type": "application/json" } })],
    ["empty", () => new Response("")],
    ["lone surrogate", () => new Response("a\ud800b")],
  ];
  for (const [name, make] of cases) {
    const reference = await viaStream(make);
    await captured(async () => {
      const response = make();
      const out = await bufferResponse(response, 1024, what);
      strictEqual(response.bodyUsed, false, `${name}: encoded from the string, not read through the stream`);
      strictEqual(out.status, reference.status, name);
      deepStrictEqual([...out.headers], [...reference.headers], name);
      deepStrictEqual(out.body, reference.body, name);
      strictEqual(out.tooLarge, false, name);
    });
  }
});

Deno.test("a captured string body over the limit (or declaring more) is the 502, as through the stream", async () => {
  const over = () => new Response("x".repeat(2000));
  const declares = () => new Response("small", { headers: { "content-length": "5000" } });
  for (const make of [over, declares]) {
    const reference = await viaStream(make);
    strictEqual(reference.tooLarge, true);
    await captured(async () => {
      const out = await bufferResponse(make(), 1024, what);
      strictEqual(out.tooLarge, true);
      strictEqual(out.status, 502);
      deepStrictEqual(out.body, reference.body);
    });
  }
});

Deno.test("with the capture, Response stays Response: instanceof for native ones, name, statics, a used body", async () => {
  const native = new NativeResponse("from fetch()");
  await captured(async () => {
    ok(native instanceof Response, "a native Response (fetch's) is still instanceof Response");
    const made = new Response("mine");
    ok(made instanceof NativeResponse);
    strictEqual(Response.name, "Response");
    strictEqual(Object.prototype.toString.call(made), "[object Response]");
    ok(Response.json({ a: 1 }) instanceof Response);
    strictEqual(await new Response("read me").text(), "read me");
    // A body already read is not sent again from the captured string: the stream path refuses it.
    const used = new Response("once");
    await used.text();
    let failed = false;
    await bufferResponse(used, 1024, what).catch(() => failed = true);
    ok(failed);
    // Bytes and streams take the stream path.
    deepStrictEqual((await bufferResponse(new Response(new Uint8Array([1, 2, 3])), 1024, what)).body, new Uint8Array([1, 2, 3]));
  });
});

Deno.test("a Hono app behind the capture answers as before (text, json, html, HEAD, redirect)", async () => {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello"));
  app.get("/json", (c) => c.json({ ok: true }, 201));
  app.get("/html", (c) => c.html("<p>hi</p>"));
  app.get("/go", (c) => c.redirect("/json"));
  const answer = async (path: string, method = "GET") => {
    const out = await bufferResponse(await app.fetch(new Request(`http://x${path}`, { method })), 1024, what);
    return { status: out.status, headers: [...out.headers], body: new TextDecoder().decode(out.body) };
  };
  const paths: Array<[string, string?]> = [["/"], ["/json"], ["/html"], ["/go"], ["/", "HEAD"], ["/missing"]];
  const reference: Array<Awaited<ReturnType<typeof answer>>> = [];
  for (const [path, method] of paths) reference.push(await answer(path, method));
  await captured(async () => {
    for (const [i, [path, method]] of paths.entries()) deepStrictEqual(await answer(path, method), reference[i], path);
  });
});
