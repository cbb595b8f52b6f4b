// The hostile-plugin corpus: one fixture plugin per attack (test/fixtures/plugins/hos-*), all in
// one host beside a well-behaved plugin (hos-bystander). Every case asserts that the attack fails,
// that the bystander keeps answering, and records what the host did and how long containment
// took (corpus-report.ts; docs/hostile-corpus.md). How to add a case: docs/hostile-corpus.md.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cp, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, FIXTURES, isAlive, startTestHost } from "../../helpers/host.ts";
import type { TestHost } from "../../helpers/host.ts";
import { editManifest } from "../../helpers/plugin-copy.ts";
import { publish, record, whatStopped } from "./corpus-report.ts";

const MiB = 1024 * 1024;

interface Attempt { ok: boolean; value?: string; error?: string }
interface Exit { kind: string; message: string; exitCode: number | null; signal: string | null; at: string }
interface PluginHealth {
  name: string; state: string; pid: number | null; restarts: number; failure: string | null; lastExit: Exit | null;
}
interface Context {
  t: TestHost;
  /** The test's upstream; hos-net's one net grant is its (ephemeral) port, written into a copied manifest. */
  upstream: Server;
  upstreamPort: number;
  other: Server;
  work: string;
  secretFile: string;
  outsideFile: string;
}

const corpus = suite<Context>("hostile corpus");

corpus.before(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-hostile-"));
  ctx.secretFile = join(ctx.work, "secret", "secret.json");
  ctx.outsideFile = join(ctx.work, "secret", "written-by-plugin.txt");
  await cp(join(FIXTURES, "hos-symlink"), join(ctx.work, "hos-symlink"), { recursive: true });
  await cp(join(FIXTURES, "hos-symlink-grant"), join(ctx.work, "hos-symlink-grant"), { recursive: true });
  await writeFile(join(ctx.work, "placeholder"), "");
  await import("node:fs/promises").then((fs) => fs.mkdir(join(ctx.work, "secret")));
  await writeFile(ctx.secretFile, JSON.stringify({ secret: "do not leak" }));
  // Symlinks planted in the plugins' own folders, pointing outside them.
  for (const plugin of ["hos-symlink", "hos-symlink-grant"]) {
    await rm(join(ctx.work, plugin, "leakdir"), { recursive: true });
    await symlink(join(ctx.work, "secret"), join(ctx.work, plugin, "leakdir"));
  }
  await unlink(join(ctx.work, "hos-symlink", "leak.json"));
  await symlink(ctx.secretFile, join(ctx.work, "hos-symlink", "leak.json"));

  ctx.upstream = await listen(0, (url, res) => {
    const to = new URL(url, "http://x").searchParams.get("to");
    if (to !== null) res.writeHead(302, { location: to }).end();
    else res.end("upstream says hi");
  });
  ctx.upstreamPort = (ctx.upstream.address() as AddressInfo).port;
  const hosNet = join(ctx.work, "hos-net");
  await cp(join(FIXTURES, "hos-net"), hosNet, { recursive: true });
  await editManifest(hosNet, (manifest) => {
    manifest.permissions.net = [`127.0.0.1:${ctx.upstreamPort}`];
  });
  ctx.other = await listen(0, (_url, res) => res.end("other port reached"));
  ctx.t = await startTestHost({
    plugins: [
      "hos-bystander", "hos-fs", join(ctx.work, "hos-symlink"), join(ctx.work, "hos-symlink-grant"), hosNet, "hos-env",
      "hos-subprocess", "hos-ffi", "hos-exit", "hos-exit-init", "hos-heap-bomb", "hos-buffer-bomb", "hos-loop",
      "hos-stream", "hos-log-flood", "hos-frame-flood", "hos-forge", "hos-slow-read",
    ],
    env: { CORRAL_TEST_SECRET: "secret-value" },
    // A small response cap, so the multi-gigabyte answer is cut quickly.
    policy: { limits: { maxMemoryMb: 1024, maxTimeoutMs: 60_000, maxBodyBytes: 16 * MiB } },
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 6, windowMs: 60_000 },
  });
});
corpus.after(async (ctx) => {
  await ctx.t.close();
  ctx.upstream.close();
  ctx.other.close();
  await rm(ctx.work, { recursive: true, force: true });
});

function listen(port: number, handle: (url: string, res: import("node:http").ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => handle(req.url ?? "/", res));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function pluginHealth(t: TestHost, name: string): Promise<PluginHealth> {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: PluginHealth[] };
  const plugin = health.plugins.find((p) => p.name === name);
  assert.ok(plugin, `${name} is in /health`);
  return plugin!;
}

async function ready(t: TestHost, name: string): Promise<PluginHealth> {
  return eventually(async () => {
    const h = await pluginHealth(t, name);
    return h.state === "ready" ? h : undefined;
  }, 15_000, `${name} to be ready`);
}

/** The well-behaved plugin answers; called during and after every attack. */
async function bystanderAnswers(t: TestHost, when: string): Promise<void> {
  const res = await fetch(`${t.url}/plugins/hos-bystander/`);
  assert.is(res.status, 200, `the bystander answers ${when}`);
  assert.is(await res.text(), "still here");
}

/**
 * Runs one probe route that must fail inside the plugin, and records what refused it.
 * `leak` is text that must not appear in the answer even as part of an error.
 */
async function mustFail(t: TestHost, plugin: string, path: string, attack: string, expected: RegExp, leak?: string): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${t.url}/plugins/${plugin}${path}`);
  const ms = performance.now() - started;
  assert.is(res.status, 200, `${attack}: the probe answered`);
  const result = await res.json() as Attempt;
  assert.is(result.ok, false, `${attack} must fail, but returned ${result.value}`);
  assert.match(result.error!, expected, `${attack}: ${result.error}`);
  if (leak !== undefined) assert.not.ok(result.error!.includes(leak), `${attack}: the error leaks ${leak}`);
  record({ attack, plugin, outcome: whatStopped(result.error), containMs: ms, until: "answer" });
}

/** Waits for a process end newer than `after` (an ISO time or null), then for the restart. */
async function nextExit(t: TestHost, name: string, after: string | null, state = "ready"): Promise<PluginHealth> {
  return eventually(async () => {
    const h = await pluginHealth(t, name);
    return h.lastExit !== null && h.lastExit.at !== after && h.state === state ? h : undefined;
  }, 20_000, `${name} to end and be ${state}`);
}

async function errorCode(res: Response): Promise<string> {
  return (await res.json() as { error: { code: string } }).error.code;
}

const PERMISSION = /NotCapable|Requires \w+ access/;
const PERMISSION_OR_ABSENT = /NotCapable|Requires \w+ access|NotFound|No such file|Module not found/;

// ---- Files ---------------------------------------------------------------------------------

corpus("file reads outside the grants: Deno API, node:fs, import(), fetch(file:), /proc", async ({ t, secretFile }) => {
  const q = `?path=${encodeURIComponent(secretFile)}`;
  await mustFail(t, "hos-fs", `/deno-read${q}`, "read a file outside the grants (Deno.readTextFile)", PERMISSION, "do not leak");
  await mustFail(t, "hos-fs", "/deno-read?path=/etc/passwd", "read /etc/passwd (Deno.readTextFile)", PERMISSION);
  await mustFail(t, "hos-fs", `/deno-open${q}`, "open a file outside the grants (Deno.open)", PERMISSION);
  await mustFail(t, "hos-fs", `/deno-stat${q}`, "stat a file outside the grants (Deno.stat)", PERMISSION);
  await mustFail(t, "hos-fs", `/node-fs${q}`, "read a file outside the grants (node:fs)", PERMISSION, "do not leak");
  await mustFail(t, "hos-fs", `/import${q}`, "import() a JSON file outside the folder (computed specifier)", PERMISSION_OR_ABSENT, "do not leak");
  await mustFail(t, "hos-fs", `/fetch-file${q}`, "fetch(file://) a file outside the grants", PERMISSION, "do not leak");
  await mustFail(t, "hos-fs", "/proc-environ", "read /proc/self/environ", PERMISSION);
  await bystanderAnswers(t, "after the file reads");
});

corpus("file writes: outside the folder, inside its own folder, a temp file", async ({ t, outsideFile }) => {
  const q = `?path=${encodeURIComponent(outsideFile)}`;
  await mustFail(t, "hos-fs", `/deno-write${q}`, "write a file outside the folder (Deno.writeTextFile)", PERMISSION);
  await mustFail(t, "hos-fs", `/node-write${q}`, "write a file outside the folder (node:fs)", PERMISSION);
  assert.is(existsSync(outsideFile), false, "no file was written");
  await mustFail(t, "hos-fs", "/write-own-folder", "write a module into its own folder", PERMISSION);
  assert.is(existsSync(join(t.pluginsDir, "hos-fs", "dropped.ts")), false, "no module was dropped");
  await mustFail(t, "hos-fs", "/tempfile", "create a temp file (Deno.makeTempFile)", PERMISSION);
  await bystanderAnswers(t, "after the file writes");
});

corpus("symlinks in its own folder pointing outside it", async ({ t }) => {
  // The literal import() is in Deno's static graph, which --allow-read does not govern (the
  // known gap in docs/security.md): here the mount namespace is what stops it.
  const health = await pluginHealth(t, "hos-symlink");
  assert.is((health as unknown as { grants: { isolation: string } }).grants.isolation, "namespace",
    "this machine has bwrap; without it the symlinked import is the documented known gap");
  await mustFail(t, "hos-symlink", "/import-link", "import() a symlink in its folder pointing outside (literal specifier)", PERMISSION_OR_ABSENT, "do not leak");
  await mustFail(t, "hos-symlink", "/read-link", "read a symlink in its folder pointing outside", PERMISSION_OR_ABSENT, "do not leak");
  await mustFail(t, "hos-symlink", "/read-link-dir", "read through a symlinked folder pointing outside", PERMISSION_OR_ABSENT, "do not leak");
  await mustFail(t, "hos-symlink", "/realpath", "resolve a symlink's target (Deno.realPath)", PERMISSION_OR_ABSENT);
  // A read grant on such a symlink is refused before the plugin starts.
  const report = await (await fetch(`${t.url}/health`)).json() as { plugins: PluginHealth[]; invalid: Array<{ dir?: string; error?: string; name?: string }> };
  assert.not.ok(report.plugins.some((p) => p.name === "hos-symlink-grant"), "the plugin asking for the symlinked grant did not start");
  const invalid = report.invalid.find((entry) => JSON.stringify(entry).includes("hos-symlink-grant"));
  assert.ok(invalid, `hos-symlink-grant is listed as invalid: ${JSON.stringify(report.invalid)}`);
  assert.match(JSON.stringify(invalid), /read/);
  record({
    attack: "ask for a read grant on a symlink pointing outside", plugin: "hos-symlink-grant",
    outcome: "manifest refused before start (the read grant resolves outside the plugin folder); listed under invalid in /health",
    containMs: null, until: "refused at start",
  });
  await bystanderAnswers(t, "after the symlinks");
});

// ---- Network -------------------------------------------------------------------------------

corpus("network outside the grant: other ports, the host's port, other hosts, listening, redirects", async ({ t, other, upstreamPort }) => {
  const granted = await (await fetch(`${t.url}/plugins/hos-net/fetch?url=${encodeURIComponent(`http://127.0.0.1:${upstreamPort}/`)}`)).json() as Attempt;
  assert.is(granted.ok, true, `the granted upstream is reachable (the probes work): ${granted.error}`);
  const otherPort = (other.address() as { port: number }).port;
  const url = (u: string) => `?url=${encodeURIComponent(u)}`;
  await mustFail(t, "hos-net", `/fetch${url(`http://127.0.0.1:${otherPort}/`)}`, "fetch another port on 127.0.0.1", PERMISSION, "other port reached");
  await mustFail(t, "hos-net", `/fetch${url(`http://localhost:${upstreamPort}/`)}`, "fetch the granted port by another name (localhost)", PERMISSION);
  await mustFail(t, "hos-net", `/fetch${url(`${t.url}/health`)}`, "fetch the host's own HTTP port", PERMISSION);
  await mustFail(t, "hos-net", `/fetch${url("http://192.0.2.1/")}`, "fetch another host (192.0.2.1:80)", PERMISSION);
  await mustFail(t, "hos-net", `/fetch${url("http://169.254.169.254/latest/meta-data/")}`, "fetch the cloud metadata endpoint", PERMISSION);
  await mustFail(t, "hos-net", `/fetch${url(`http://127.0.0.1:${upstreamPort}/?to=${encodeURIComponent(`http://127.0.0.1:${otherPort}/`)}`)}`,
    "follow a redirect from the granted upstream to another port", PERMISSION, "other port reached");
  await mustFail(t, "hos-net", `/connect?host=127.0.0.1&port=${otherPort}`, "open a TCP connection to another port (Deno.connect)", PERMISSION);
  await mustFail(t, "hos-net", `/node-connect?host=127.0.0.1&port=${otherPort}`, "open a TCP connection to another port (node:net)", PERMISSION);
  await mustFail(t, "hos-net", `/listen?port=${otherPort + 1}`, "listen on a port (Deno.listen)", PERMISSION);
  await bystanderAnswers(t, "after the network probes");
});

corpus("DNS lookups and remote imports", async ({ t }) => {
  await mustFail(t, "hos-net", "/resolve-dns?host=example.com", "DNS lookup (Deno.resolveDns)", PERMISSION);
  await mustFail(t, "hos-net", "/node-dns?host=example.com", "DNS lookup (node:dns)", /NotCapable|Requires \w+ access|EPERM/);
  await mustFail(t, "hos-net", `/remote-import?url=${encodeURIComponent("https://deno.land/std@0.224.0/version.ts")}`,
    "import() remote code (computed https: specifier)", /remote|NotCapable|Requires/);
  await mustFail(t, "hos-net", "/remote-import-literal", "import() remote code (literal https: specifier)", /remote|NotCapable|Requires|not found/i);
  await bystanderAnswers(t, "after the DNS and remote-import probes");
});

// ---- Environment, subprocesses, FFI ---------------------------------------------------------

corpus("environment variables it was not granted", async ({ t }) => {
  await mustFail(t, "hos-env", "/deno-get?name=CORRAL_TEST_SECRET", "read an ungranted variable (Deno.env.get)", PERMISSION, "secret-value");
  await mustFail(t, "hos-env", "/deno-get?name=PATH", "read PATH (Deno.env.get)", PERMISSION);
  await mustFail(t, "hos-env", "/deno-all", "read the whole environment (Deno.env.toObject)", PERMISSION, "secret-value");
  await mustFail(t, "hos-env", "/node-get?name=CORRAL_TEST_SECRET", "read an ungranted variable (process.env)", PERMISSION, "secret-value");
  await mustFail(t, "hos-env", "/node-keys", "list the environment (Object.keys(process.env))", PERMISSION);
  await mustFail(t, "hos-env", "/deno-set", "set LD_PRELOAD (Deno.env.set)", PERMISSION);
  await bystanderAnswers(t, "after the env probes");
});

corpus("subprocesses and signals", async ({ t }) => {
  await mustFail(t, "hos-subprocess", "/deno-command", "run /bin/sh (Deno.Command)", PERMISSION_OR_ABSENT);
  await mustFail(t, "hos-subprocess", "/deno-command-deno", "run deno itself (Deno.Command)", PERMISSION_OR_ABSENT);
  await mustFail(t, "hos-subprocess", "/node-exec", "run a shell (node:child_process execSync)", PERMISSION_OR_ABSENT);
  await mustFail(t, "hos-subprocess", "/node-spawn", "spawn a process (node:child_process spawn)", PERMISSION_OR_ABSENT);
  await mustFail(t, "hos-subprocess", `/kill-parent?pid=${process.pid}`, "SIGKILL the host (Deno.kill)", PERMISSION);
  assert.ok(isAlive(process.pid));
  await bystanderAnswers(t, "after the subprocess probes");
});

corpus("native code: FFI, process.dlopen, require of a shared library", async ({ t }) => {
  await mustFail(t, "hos-ffi", "/dlopen", "load libc (Deno.dlopen)", PERMISSION);
  await mustFail(t, "hos-ffi", "/process-dlopen", "load libc (process.dlopen)", PERMISSION_OR_ABSENT);
  await mustFail(t, "hos-ffi", "/require-native", "require() a shared library", PERMISSION_OR_ABSENT);
  await bystanderAnswers(t, "after the FFI probes");
});

// ---- Exits -----------------------------------------------------------------------------------

corpus("Deno.exit in a handler: the client gets 502, the exit code is in /health, the plugin restarts", async ({ t }) => {
  const before = await ready(t, "hos-exit");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-exit/deno-exit/7`);
  const answeredMs = Date.now() - started;
  assert.is(res.status, 502);
  assert.is(await errorCode(res), "CORRAL_E_PLUGIN_CRASHED");
  await bystanderAnswers(t, "right after the exit");
  const after = await nextExit(t, "hos-exit", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "exited");
  assert.is(after.lastExit!.exitCode, 7);
  assert.is(isAlive(before.pid!), false, "the old process is gone");
  record({ attack: "Deno.exit(7) in a handler", plugin: "hos-exit", outcome: `502 CORRAL_E_PLUGIN_CRASHED; lastExit exited, code 7; restarted`, containMs: answeredMs, until: "answer" });
});

corpus("process.exit(0) while another request is in flight: both answered 502, not taken for a clean stop", async ({ t }) => {
  const before = await ready(t, "hos-exit");
  const started = Date.now();
  const slow = fetch(`${t.url}/plugins/hos-exit/slow`);
  // The slow request is in flight once the plugin has it: wait for the host to count it.
  await eventually(async () => ((await pluginHealth(t, "hos-exit") as unknown as { inFlight: number }).inFlight > 0 ? true : undefined), 5000, "the slow request to be in flight");
  const exit = await fetch(`${t.url}/plugins/hos-exit/process-exit/0`);
  assert.is(exit.status, 502);
  const inFlight = await slow;
  const answeredMs = Date.now() - started;
  assert.is(inFlight.status, 502, "the request in flight is answered, not left hanging");
  assert.is(await errorCode(inFlight), "CORRAL_E_PLUGIN_CRASHED");
  const after = await nextExit(t, "hos-exit", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "exited", "an exit the host did not ask for is a crash, whatever its code");
  assert.is(after.lastExit!.exitCode, 0);
  await bystanderAnswers(t, "after the exit");
  record({ attack: "process.exit(0) with another request in flight", plugin: "hos-exit", outcome: "both requests 502 CORRAL_E_PLUGIN_CRASHED; lastExit exited, code 0; restarted", containMs: answeredMs, until: "answer" });
});

corpus("Deno.exit(0) in init: never ready, retried, then failed with the reason; 503", async ({ t }) => {
  const failed = await eventually(async () => {
    const h = await pluginHealth(t, "hos-exit-init");
    return h.state === "failed" ? h : undefined;
  }, 20_000, "hos-exit-init to be failed");
  assert.match(failed.failure!, /crashed \d+ times/);
  assert.is(failed.lastExit!.exitCode, 0);
  assert.match(failed.lastExit!.kind, /exited|init-failed/);
  const res = await fetch(`${t.url}/plugins/hos-exit-init/`);
  assert.is(res.status, 503);
  assert.is(await errorCode(res), "CORRAL_E_PLUGIN_FAILED");
  await bystanderAnswers(t, "with a failed neighbour");
  record({ attack: "Deno.exit(0) in init", plugin: "hos-exit-init", outcome: `never ready; lastExit ${failed.lastExit!.kind}, code 0; failed after ${failed.restarts + 1} starts; 503 CORRAL_E_PLUGIN_FAILED`, containMs: null, until: "marked failed" });
});

// ---- Memory --------------------------------------------------------------------------------

corpus("a heap bomb ends only its plugin, reported as the heap limit", async ({ t }) => {
  const before = await ready(t, "hos-heap-bomb");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-heap-bomb/boom`);
  const answeredMs = Date.now() - started;
  assert.is(res.status, 502);
  assert.is(await errorCode(res), "CORRAL_E_PLUGIN_CRASHED");
  await bystanderAnswers(t, "after the heap bomb");
  const after = await nextExit(t, "hos-heap-bomb", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "heap-limit", JSON.stringify(after.lastExit));
  assert.match(after.lastExit!.message, /heap limit.*memoryMb = 64/);
  assert.is(isAlive(before.pid!), false, "the old process is gone");
  assert.is(await (await fetch(`${t.url}/plugins/hos-heap-bomb/`)).text(), "alive");
  record({ attack: "heap bomb (objects until V8's limit)", plugin: "hos-heap-bomb", outcome: "V8 heap limit (--max-old-space-size=64): 502 CORRAL_E_PLUGIN_CRASHED, lastExit heap-limit, restarted", containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
  void answeredMs;
});

corpus("an ArrayBuffer bomb (outside the heap limit) is stopped by the memory limit", async ({ t }) => {
  const before = await ready(t, "hos-buffer-bomb");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-buffer-bomb/boom`);
  assert.is(res.status, 502);
  await bystanderAnswers(t, "after the buffer bomb");
  const after = await nextExit(t, "hos-buffer-bomb", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "memory-limit", JSON.stringify(after.lastExit));
  assert.match(after.lastExit!.message, /resident memory \d+ MB passed the limit of 192 MB/);
  record({ attack: "ArrayBuffer bomb (16 MiB buffers, outside the heap)", plugin: "hos-buffer-bomb", outcome: "RSS sampler: SIGKILL over 192 MB, 502 CORRAL_E_PLUGIN_CRASHED, lastExit memory-limit, restarted", containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
});

// ---- Time ----------------------------------------------------------------------------------

corpus("an endless loop in a handler: 504, then the stuck process is killed and restarted", async ({ t }) => {
  const before = await ready(t, "hos-loop");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-loop/spin`);
  const answeredMs = Date.now() - started;
  assert.is(res.status, 504);
  assert.is(await errorCode(res), "CORRAL_E_REQUEST_TIMEOUT");
  await bystanderAnswers(t, "while the loop spins");
  const after = await nextExit(t, "hos-loop", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "unresponsive");
  assert.is(isAlive(before.pid!), false, "the spinning process is gone");
  assert.is(await (await fetch(`${t.url}/plugins/hos-loop/`)).text(), "alive");
  record({ attack: "endless loop in a handler", plugin: "hos-loop", outcome: `504 CORRAL_E_REQUEST_TIMEOUT after limits.timeoutMs (500) in ${answeredMs} ms; no pong in 1 s: killed (unresponsive), restarted`, containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
});

corpus("a response that never ends: 504 at the plugin's timeout; the plugin keeps answering", async ({ t }) => {
  await ready(t, "hos-stream");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-stream/forever`);
  const answeredMs = Date.now() - started;
  assert.is(res.status, 504);
  assert.is(await errorCode(res), "CORRAL_E_REQUEST_TIMEOUT");
  await bystanderAnswers(t, "after the endless stream");
  assert.is(await (await fetch(`${t.url}/plugins/hos-stream/`)).text(), "alive", "its event loop is free: it answers pings and requests");
  record({ attack: "a response body that never ends (1 byte / 50 ms)", plugin: "hos-stream", outcome: "504 CORRAL_E_REQUEST_TIMEOUT at limits.timeoutMs (1000); the plugin answers pings, so it keeps running", containMs: answeredMs, until: "answer" });
});

corpus("a multi-gigabyte response is cut at the host's cap: 502", async ({ t }) => {
  await ready(t, "hos-stream");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-stream/gigabytes`);
  const answeredMs = Date.now() - started;
  assert.is(res.status, 502);
  assert.is(await errorCode(res), "CORRAL_E_RESPONSE_TOO_LARGE");
  await bystanderAnswers(t, "after the huge response");
  record({ attack: "a 4 GiB response body (streamed, declared Content-Length)", plugin: "hos-stream", outcome: "cut at the policy's 16 MiB cap: 502 CORRAL_E_RESPONSE_TOO_LARGE; the plugin keeps running", containMs: answeredMs, until: "answer" });
});

// ---- Forged frames -------------------------------------------------------------------------

corpus("forged frames through the runner's own socket each end only that plugin", async ({ t }) => {
  for (const [path, attack, pattern] of [
    ["/forged-reply", "a reply to an id it never got (99999)", /id 99999, which the host never sent/],
    ["/wrong-version", "a second hello speaking protocol 99", /second hello/],
    ["/huge-size", "a frame header declaring 16 GiB", /over the cap|frame/],
    ["/many-segments", "a frame header declaring 100000 segments", /segments|over the cap/],
  ] as const) {
    const before = await ready(t, "hos-forge");
    assert.is(await (await fetch(`${t.url}/plugins/hos-forge/`)).text(), "socket captured", "plugin code holds the runner's socket");
    const started = Date.now();
    await fetch(`${t.url}/plugins/hos-forge${path}`).then((r) => r.arrayBuffer()).catch(() => undefined);
    const after = await nextExit(t, "hos-forge", before.lastExit?.at ?? null);
    assert.is(after.lastExit!.kind, "protocol-violation", `${path}: ${JSON.stringify(after.lastExit)}`);
    assert.match(after.lastExit!.message, pattern);
    await bystanderAnswers(t, `after ${path}`);
    record({ attack: `forged frame: ${attack}`, plugin: "hos-forge", outcome: `killed: ${after.lastExit!.message.replace(/^protocol violation: /, "protocol violation: ")}; restarted`, containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
  }
});

// ---- Floods and slow reads -----------------------------------------------------------------

/** Asks the bystander every 50 ms while `during` runs; all must answer 200. */
async function bystanderThroughout(t: TestHost, during: Promise<unknown>, when: string): Promise<void> {
  let done = false;
  void during.finally(() => (done = true));
  do {
    await bystanderAnswers(t, when);
    await new Promise((r) => setTimeout(r, 50));
  } while (!done);
}

corpus("a flood of log records through the SDK: over 1000/s dropped, with one warning per second", async ({ t }) => {
  await ready(t, "hos-log-flood");
  const from = t.logs.length;
  const started = Date.now();
  assert.is(await (await fetch(`${t.url}/plugins/hos-log-flood/flood/1500`)).text(), "flooding");
  const note = await eventually(() => t.logs.slice(from).find((r) => r.plugin === "hos-log-flood" && r.message.startsWith("dropped ")), 5000, "a dropped-records warning");
  await bystanderThroughout(t, new Promise((r) => setTimeout(r, 1500)), "during the log flood");
  const written = t.logs.slice(from).filter((r) => r.plugin === "hos-log-flood" && /^flood (record|stdout)/.test(r.message)).length;
  // 1500 ms at 1000/s plus the 2000-record burst (and slack for the second it started in).
  assert.ok(written <= 2000 + 3 * 1000, `at most the burst plus the rate was written (${written})`);
  assert.ok(written > 0, "records within the limit are written");
  assert.is((await pluginHealth(t, "hos-log-flood")).state, "ready", "a plugin over the log rate is throttled, not ended");
  record({ attack: "log flood through the SDK (ctx.log + console.log, ~20k/s)", plugin: "hos-log-flood", outcome: `throttled to 1000 records/s (burst 2000), the rest dropped with a warning: "${note.message}"`, containMs: Date.parse(note.time) - started, until: "answer" });
});

corpus("a flood of raw log frames far past the limit ends the plugin", async ({ t }) => {
  const before = await ready(t, "hos-frame-flood");
  const started = Date.now();
  const flood = fetch(`${t.url}/plugins/hos-frame-flood/logs/3000`).then((r) => r.text());
  await bystanderThroughout(t, nextExit(t, "hos-frame-flood", before.lastExit?.at ?? null), "during the raw log flood");
  await flood;
  const after = await pluginHealth(t, "hos-frame-flood");
  assert.is(after.lastExit!.kind, "protocol-violation");
  assert.match(after.lastExit!.message, /log flood: more than 50000 records/);
  record({ attack: "flood of raw log frames on fd 3 (bypassing the SDK)", plugin: "hos-frame-flood", outcome: `killed: ${after.lastExit!.message}; restarted`, containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
});

corpus("a flood of frames that answer nothing ends the plugin at the first repeat", async ({ t }) => {
  const before = await ready(t, "hos-frame-flood");
  const started = Date.now();
  const res = await fetch(`${t.url}/plugins/hos-frame-flood/pongs/3000`);
  assert.is(res.status, 502, "the flooding request is answered when the plugin is ended");
  const after = await nextExit(t, "hos-frame-flood", before.lastExit?.at ?? null);
  assert.is(after.lastExit!.kind, "protocol-violation");
  assert.match(after.lastExit!.message, /pong to id \d+, which is not waiting for an answer/);
  await bystanderAnswers(t, "after the frame flood");
  record({ attack: "flood of well-formed pong frames for a used id (~10^6/s)", plugin: "hos-frame-flood", outcome: `killed at the first unexpected answer: ${after.lastExit!.message}; restarted`, containMs: Date.parse(after.lastExit!.at) - started, until: "process gone" });
});

corpus("a plugin that stops reading fd 3: every upload is answered, the process is replaced", async ({ t }) => {
  const before = await ready(t, "hos-slow-read");
  assert.is(await (await fetch(`${t.url}/plugins/hos-slow-read/stop-reading`)).text(), "no longer reading");
  const started = Date.now();
  const body = new Uint8Array(4 * MiB);
  const statuses = await Promise.all(Array.from({ length: 6 }, () =>
    fetch(`${t.url}/plugins/hos-slow-read/upload`, { method: "POST", body }).then(async (r) => r.ok ? `${r.status} (the restarted process)` : `${r.status} ${await errorCode(r)}`)));
  const answeredMs = Date.now() - started;
  for (const status of statuses) assert.match(status, /^(504 CORRAL_E_REQUEST_TIMEOUT|502 CORRAL_E_PLUGIN_CRASHED|503 CORRAL_E_PLUGIN_UNAVAILABLE|503 CORRAL_E_PLUGIN_BUSY|200 \(the restarted process\))$/);
  const after = await nextExit(t, "hos-slow-read", before.lastExit?.at ?? null);
  // Whichever notices first: the unsent bytes stalled past the slow-reader grace, or the timed-out
  // request's ping that a plugin not reading fd 3 cannot answer. Not an exit of its own.
  assert.ok(["slow-reader", "unresponsive"].includes(after.lastExit!.kind), `ended for not reading: ${after.lastExit!.kind}: ${after.lastExit!.message}`);
  assert.is(isAlive(before.pid!), false, "the process that stopped reading is gone");
  await bystanderAnswers(t, "after the slow reader");
  record({ attack: "stops reading fd 3, then 6 × 4 MiB uploads", plugin: "hos-slow-read", outcome: `every upload answered (${[...new Set(statuses)].join(", ")}); process ended (${after.lastExit!.kind}: ${after.lastExit!.message.slice(0, 90)}), restarted`, containMs: Math.max(answeredMs, Date.parse(after.lastExit!.at) - started), until: "process gone" });
});

corpus.run();

// An endless loop at module load needs its own host: the start timeout is per host, and a short
// one would be unfair to the many plugins the corpus host starts at once.
const atLoad = suite<{ t: TestHost }>("hostile corpus: endless loop at module load");

atLoad.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["hos-bystander", "hos-loop-load"],
    policy: { startTimeoutMs: 1500 },
    restart: { baseDelayMs: 50, maxDelayMs: 100, maxCrashes: 2, windowMs: 60_000 },
  });
});
atLoad.after(async (ctx) => {
  await ctx.t.close();
  // The last suite of the file prints the whole corpus's report.
  publish();
});

atLoad("an endless loop at module load: killed at the start timeout, retried, then failed", async ({ t }) => {
  const failed = await eventually(async () => {
    const h = await pluginHealth(t, "hos-loop-load");
    return h.state === "failed" ? h : undefined;
  }, 20_000, "hos-loop-load to be failed");
  assert.is(failed.lastExit!.kind, "start-timeout");
  assert.match(failed.failure!, /crashed 2 times/);
  assert.is(failed.pid === null || !isAlive(failed.pid), true, "no spinning process is left");
  const res = await fetch(`${t.url}/plugins/hos-loop-load/`);
  assert.is(res.status, 503);
  await bystanderAnswers(t, "beside the plugin stuck at load");
  const { uptimeMs } = await (await fetch(`${t.url}/health`)).json() as { uptimeMs: number };
  const startedAt = Date.now() - uptimeMs;
  record({ attack: "endless loop at module load", plugin: "hos-loop-load", outcome: `killed at startTimeoutMs (1500) each start (start-timeout), failed after 2: "${failed.failure!.slice(0, 60)}…"; 503 CORRAL_E_PLUGIN_FAILED`, containMs: Date.parse(failed.lastExit!.at) - startedAt, until: "marked failed" });
});

atLoad.run();
