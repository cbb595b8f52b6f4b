/**
 * What the runner's JavaScript costs per request, without the socket: the bench plugin's two
 * routes (scripts/bench/plugins/bench: GET `/` and the 1 KB JSON POST echo) driven through a
 * `Session` in batches of 50 frames, as the host sends them at 50 connections, and the pieces of
 * that path on their own.
 * `deno bench --config deno.json --no-prompt --no-remote sandbox/runner_bench.ts`
 *
 * @module
 */

import { Hono } from "hono";
import { encodeRequestFast } from "../schemas/fast-path.ts";
import type { RequestMessage } from "../schemas/messages.ts";
import { answerRequest } from "./answer-request.ts";
import { toRequestAndContext } from "./http-bridge.ts";
import { decodeFrame, encodeFrame } from "./protocol/codec.ts";
import { encodeHeaders } from "./protocol/headers.ts";
import { withRequestTrace } from "./request-trace.ts";
import { bufferResponse, startPlugin } from "./sdk/_internal.ts";
import { definePlugin } from "./sdk/mod.ts";
import { Session } from "./session.ts";
import { concatBytes } from "../schemas/concat-bytes.ts";


const BATCH = 50;
const MAX_BODY = 10 * 1024 * 1024;

function benchApp() {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello, World!"));
  app.post("/echo", async (c) => c.json(await c.req.json()));
  return app;
}

// What the host sends for wrk's requests: its Host header, then the request context it appends.
const context = JSON.stringify({
  requestId: "6f1c0d1e-5a8b-4c1d-9e2f-3a4b5c6d7e8f",
  csrfToken: "q1Jv0mB3n7s9X2cZ4dF6gH8jK0lP2oI4uY6tR8eW0aS",
  locals: {},
});
const getHeaders = `host\n127.0.0.1:40123\ncorral-context\n${context}\n`;
const jsonBody = new TextEncoder().encode(JSON.stringify({ text: "x".repeat(1000) }));
const postHeaders = `host\n127.0.0.1:40123\ncontent-type\napplication/json\ncontent-length\n${jsonBody.byteLength}\n` +
  `corral-context\n${context}\n`;

function frame(id: number, post: boolean): Uint8Array {
  return post
    ? encodeRequestFast(id, "POST", "/echo", postHeaders, jsonBody, "127.0.0.1")
    : encodeRequestFast(id, "GET", "/", getHeaders, new Uint8Array(0), "127.0.0.1");
}

/** A session started on the bench app, fed batches of frames; resolves when a batch is answered. */
async function startedSession(): Promise<(chunk: Uint8Array) => Promise<void>> {
  let answered = 0;
  let wake: (() => void) | undefined;
  const session = new Session({
    send: () => {
      if (++answered === BATCH) wake?.();
    },
    exit: () => {},
    importModule: () => Promise.resolve({ default: definePlugin({ app: benchApp() }) }),
  });
  session.start();
  session.receive(encodeFrame({
    type: "init", id: 1, protocolMajor: 1, protocolMinor: 0, hostVersion: "bench", pluginName: "bench",
    pluginVersion: "1.0.0", entryUrl: "file:///bench/mod.ts", mountPath: "/plugins/bench", configJson: "",
    maxBodyBytes: 0, features: [],
  }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return (chunk) => {
    answered = 0;
    const done = new Promise<void>((resolve) => wake = resolve);
    session.receive(chunk);
    return done;
  };
}

/** `BATCH` request frames in one chunk, ids from `first`. */
function batch(first: number, post: boolean): Uint8Array {
  return concatBytes(Array.from({ length: BATCH }, (_, i) => frame(first + i, post)));
}

const runGet = await startedSession();
const runPost = await startedSession();
let nextId = 2;
const freshBatch = (post: boolean) => {
  const chunk = batch(nextId, post);
  nextId += BATCH;
  if (nextId > 2_000_000_000) nextId = 2;
  return chunk;
};

Deno.bench(`session: ${BATCH} GET frames in one chunk, answered (divide by ${BATCH})`, { group: "session", warmup: 500, n: 4000 }, async (b) => {
  const chunk = freshBatch(false);
  b.start();
  await runGet(chunk);
  b.end();
});

Deno.bench(`session: ${BATCH} POST 1 KB JSON frames in one chunk, answered (divide by ${BATCH})`, { group: "session", warmup: 500, n: 4000 }, async (b) => {
  const chunk = freshBatch(true);
  b.start();
  await runPost(chunk);
  b.end();
});

const plugin = await startPlugin(definePlugin({ app: benchApp() }), {
  name: "bench", version: "1.0.0", config: {}, sink: () => {},
});
const getBytes = frame(7, false);
const getMessage = decodeFrame(getBytes) as RequestMessage;
const postMessage = decodeFrame(frame(7, true)) as RequestMessage;

Deno.bench("GET: decode the request frame", { group: "get" }, () => {
  decodeFrame(getBytes);
});
Deno.bench("GET: toRequestAndContext", { group: "get" }, () => {
  toRequestAndContext(getMessage);
});
Deno.bench("GET: toRequestAndContext + plugin.fetch", { group: "get" }, async () => {
  const { request, context } = toRequestAndContext(getMessage);
  await withRequestTrace(context.traceparent, () => plugin.fetch(request, context));
});
Deno.bench("GET: toRequestAndContext + plugin.fetch + bufferResponse + encodeHeaders", { group: "get" }, async () => {
  const { request, context } = toRequestAndContext(getMessage);
  const response = await withRequestTrace(context.traceparent, () => plugin.fetch(request, context));
  const out = await bufferResponse(response, MAX_BODY, () => "bench");
  encodeHeaders(out.headers);
});
Deno.bench("GET: answerRequest + encodeFrame", { group: "get" }, async () => {
  encodeFrame(await answerRequest(plugin, getMessage, MAX_BODY));
});
Deno.bench("POST: answerRequest + encodeFrame", { group: "post" }, async () => {
  encodeFrame(await answerRequest(plugin, postMessage, MAX_BODY));
});
