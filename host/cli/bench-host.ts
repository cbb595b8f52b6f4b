/**
 * The host `corral bench` starts when no --host is given: `npm start` in a child process (as in
 * production: its own event loop, its log at info), serving one plugin folder on an ephemeral
 * port. A separate process, so the load generator and the host do not share a CPU thread.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { pluginsFolderOfOne } from "../dev/plugins-folder-of-one.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** A started bench host. */
export interface BenchHost {
  /** The plugin's mount: `http://127.0.0.1:<port>/plugins/<name>`. */
  readonly pluginUrl: string;
  /** Stops the host (SIGTERM, then SIGKILL after 10 s) and removes its temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts the host and waits until the plugin is ready.
 *
 * @throws CorralError MANIFEST_INVALID (not a plugin folder); INIT_FAILED when the host exits or
 *   the plugin does not become ready within `timeoutMs` (the host's last output is in the message).
 */
export async function startBenchHost(folder: string, cwd: string, env: Readonly<Record<string, string | undefined>>, timeoutMs = 60_000): Promise<BenchHost> {
  const plugins = await pluginsFolderOfOne(folder, cwd);
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "host/main.ts")], {
    cwd: ROOT,
    env: { ...env, PORT: "0", HOST: "127.0.0.1", CORRAL_PLUGINS_DIR: plugins.pluginsDir, CORRAL_DATA_DIR: join(plugins.work, "data"), CORRAL_DEV: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split("\n").filter((l) => l !== ""));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  let exited = false;
  const exit = new Promise<void>((resolveExit) => child.on("exit", () => ((exited = true), resolveExit())));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    }
    await plugins.remove();
  };
  const fail = async (why: string) => {
    await stop();
    return new CorralError(ErrorCode.INIT_FAILED, `the bench host did not serve plugin "${plugins.manifest.name}": ${why}${tail.length ? `\nits last output:\n${tail.join("\n")}` : ""}`);
  };
  child.stderr.on("data", keep);
  const url = await new Promise<string | undefined>((resolveUrl) => {
    const timer = setTimeout(() => resolveUrl(undefined), timeoutMs);
    let seen: string | undefined = "";
    child.stdout.on("data", (chunk: Buffer) => {
      keep(chunk);
      if (seen === undefined) return;
      seen = seen + chunk.toString();
      const match = /"message":"host listening".*?"url":"(http:\/\/[^"]+)"/.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        seen = undefined; // found: stop collecting
        resolveUrl(match[1]);
      }
    });
    void exit.then(() => resolveUrl(undefined));
  });
  if (url === undefined) throw await fail(exited ? "it exited" : `not listening after ${timeoutMs} ms`);
  // Its output from now on is the access log: read and dropped, so the pipe never blocks it.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await fetch(`${url}/health`).then((r) => r.json() as Promise<{ plugins: { name: string; state: string; failure?: string | null }[] }>).catch(() => undefined);
    const plugin = health?.plugins.find((p) => p.name === plugins.manifest.name);
    if (plugin?.state === "ready" || plugin?.state === "idle") break;
    if (plugin?.state === "failed" || exited || Date.now() > deadline) throw await fail(plugin?.failure ?? `it is ${plugin?.state ?? "not listed"}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pluginUrl: `${url}/plugins/${plugins.manifest.name}`, stop };
}
