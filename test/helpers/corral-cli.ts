/**
 * Runs the `corral` CLI as a child process (host/cli/main.ts through tsx, or the real
 * `npx corral`), with a chosen plugins folder, data folder and DATABASE_URL, and captures its
 * output and exit code.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { requireDatabaseUrl } from "./database.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

/** What a finished CLI run gave. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run in progress: its output so far, and its end. */
export interface CliRun {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly output: { stdout: string; stderr: string };
  readonly done: Promise<CliResult>;
}

export interface CliOptions {
  readonly pluginsDir: string;
  readonly dataDir: string;
  readonly env?: Record<string, string>;
  /** Run `npx --offline corral` instead of `node --import tsx host/cli/main.ts`. */
  readonly npx?: boolean;
  /** Written to the CLI's stdin, then closed (stdin is closed at once without it). */
  readonly stdin?: string;
}

/** Starts `corral ...args` in the project folder. */
export function startCorral(args: readonly string[], options: CliOptions): CliRun {
  const [command, prefix] = options.npx
    ? ["npx", ["--offline", "corral"]]
    : [process.execPath, ["--import", "tsx", "host/cli/main.ts"]];
  const child = spawn(command, [...prefix, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      CORRAL_PLUGINS_DIR: options.pluginsDir,
      CORRAL_DATA_DIR: options.dataDir,
      DATABASE_URL: requireDatabaseUrl("corral CLI"),
      ...options.env,
    },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolveDone) => {
    child.on("close", (code, signal) => resolveDone({ code, signal, ...output }));
  });
  return { child, output, done };
}

/** Runs `corral ...args` to the end (killed after 60 s: a hang fails the test instead of the suite). */
export async function corral(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const run = startCorral(args, options);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 60_000);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}
