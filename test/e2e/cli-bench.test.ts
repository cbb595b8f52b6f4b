// End to end: `corral bench` as a user runs it, for about a second each: against a host it starts
// itself for a plugin folder (GET), and against a running host given by --host (POST with a
// body). Checks the JSON has its fields and that requests were made and answered; never speed.
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { corral } from "../helpers/corral-cli.ts";
import { FIXTURES, startTestHost } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";

const PLUGIN = "dv-hello";
const admin = openManagerAdmin();
const dirs = { pluginsDir: "/nonexistent-plugins", dataDir: "/nonexistent-data" };

test.after(async () => {
  await forgetManagerRows(admin, [PLUGIN]);
  await admin.end();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function assertLoaded(result: any, url: RegExp, method: string): void {
  assert.match(result.url, url);
  assert.is(result.method, method);
  assert.is(result.connections, 2);
  assert.ok(result.durationSeconds > 0);
  assert.ok(result.requests.total > 0, "requests were made");
  assert.is(result.requests.ok, result.requests.total, "every one answered 2xx");
  assert.is(result.statusCodes["200"], result.requests.total);
  assert.ok(result.requests.perSecond > 0);
  for (const key of ["p50", "p90", "p99", "max", "mean"]) assert.ok(result.latencyMs[key] > 0, `latency ${key}`);
  assert.ok(result.latencyMs.p50 <= result.latencyMs.p90 && result.latencyMs.p90 <= result.latencyMs.p99 && result.latencyMs.p99 <= result.latencyMs.max);
  assert.is(result.latencyMs.count, result.requests.total);
}

test("bench starts its own host for a plugin folder and reports throughput and latency as JSON", async () => {
  const run = await corral(["bench", join(FIXTURES, PLUGIN), "/", "--duration", "1", "--connections", "2", "--json"], dirs);
  assert.is(run.code, 0, run.stderr);
  assertLoaded(JSON.parse(run.stdout), /^http:\/\/127\.0\.0\.1:\d+\/plugins\/dv-hello\/$/, "GET");
});

test("bench --host loads a running host's plugin with a POST body; text output names each figure", async () => {
  const host = await startTestHost({ plugins: [PLUGIN] });
  try {
    const json = await corral(["bench", PLUGIN, "/echo", "--host", host.url, "--method", "POST", "--body", "{\"n\":1}", "--duration", "1", "--connections", "2", "--json"], dirs);
    assert.is(json.code, 0, json.stderr);
    assertLoaded(JSON.parse(json.stdout), new RegExp(`^${host.url}/plugins/dv-hello/echo$`), "POST");
    const text = await corral(["bench", PLUGIN, "/", "--host", host.url, "--duration", "1", "--connections", "2"], dirs);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /^GET http:\/\/127\.0\.0\.1:\d+\/plugins\/dv-hello\/  2 connections/);
    assert.match(text.stdout, /\nrequests   \d+\/s  \(\d+ in [\d.]+ s; 2xx \d+\)\nlatency    p50 [\d.]+ ms  p90 [\d.]+ ms  p99 [\d.]+ ms  max [\d.]+ ms/);
  } finally {
    await host.close();
  }
});

/** A port nothing listens on: an ephemeral one, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

test("bench refuses bad arguments (exit 2) and says when the host cannot be reached (exit 3)", async () => {
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const usage = await corral(["bench", PLUGIN], dirs);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /needs <plugin> and <path>/);
  const badDuration = await corral(["bench", PLUGIN, "/", "--host", nowhere, "--duration", "soon"], dirs);
  assert.is(badDuration.code, 2);
  assert.match(badDuration.stderr, /--duration must be a positive number, got "soon"/);
  const unreachable = await corral(["bench", PLUGIN, "/", "--host", nowhere, "--duration", "1"], dirs);
  assert.is(unreachable.code, 3);
  assert.match(unreachable.stderr, new RegExp(`cannot reach ${nowhere}/plugins/dv-hello/`));
});

test.run();
