/**
 * Runs the host as `npm start` does, in a child process, for tests of signals and start-up.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { requireDatabaseUrl } from "./database.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export interface HostProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: string[];
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts host/main.ts on an ephemeral port and resolves once it listens. `ownGroup` starts it as
 * the leader of its own process group, as a shell starts `npm start` in a terminal, so a test can
 * signal the whole group as Ctrl-C does (`process.kill(-child.pid, "SIGINT")`).
 */
export async function spawnHost(env: Record<string, string>, options: { ownGroup?: boolean } = {}): Promise<HostProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "host/main.ts"], {
    detached: options.ownGroup ?? false,
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: requireDatabaseUrl("host process"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  let buffered = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${lines.join("\n")}`)), 20_000);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match !== null && line.includes("host listening")) {
          clearTimeout(timer);
          resolveUrl(match[1]!);
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
    void exit.then(() => reject(new Error(`host exited before listening:\n${lines.join("\n")}`)));
  });
  return { child, url, lines, exited: () => exit };
}
