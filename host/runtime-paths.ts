/**
 * Finds what the host needs on this machine: the real Deno binary, the sandbox runner, and the
 * optional OS tools (bwrap, prlimit, setpriv) that tighten the sandbox.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import type { RuntimePaths } from "./permission-flags.ts";

/** The project root: where package.json, deno.json, node_modules and sandbox/ are. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The Deno binary: `CORRAL_DENO` when set, else the platform package's binary. Not
 * `node_modules/.bin/deno`: that is a Node launcher and adds ~90 ms to every plugin start.
 */
export function resolveDenoBinary(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.CORRAL_DENO) return env.CORRAL_DENO;
  const require = createRequire(join(PROJECT_ROOT, "package.json"));
  const target = `@deno/${process.platform}-${process.arch}${process.platform === "linux" ? "-glibc" : ""}`;
  try {
    return join(dirname(require.resolve(`${target}/package.json`)), "deno");
  } catch {
    const fallback = join(PROJECT_ROOT, "node_modules", "deno", "deno");
    if (existsSync(fallback)) return fallback;
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `the Deno binary (${target}) is not installed; run "npm install" in ${PROJECT_ROOT}, or set CORRAL_DENO to a deno binary`);
  }
}

/** The first executable named `name` on PATH, or null. */
export function findExecutable(name: string, path = process.env.PATH ?? "/usr/bin:/bin"): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Everything `buildLaunchPlan` needs to know about this machine. */
export function resolveRuntimePaths(dataDir: string, env: Readonly<Record<string, string | undefined>> = process.env): RuntimePaths {
  return {
    denoBinary: resolveDenoBinary(env),
    projectRoot: PROJECT_ROOT,
    runnerPath: join(PROJECT_ROOT, "sandbox", "runner.ts"),
    denoConfig: join(PROJECT_ROOT, "deno.json"),
    denoDir: join(dataDir, "deno-cache"),
    prlimit: findExecutable("prlimit"),
    bwrap: env.CORRAL_NO_BWRAP === "1" ? null : findExecutable("bwrap"),
    setpriv: findExecutable("setpriv"),
  };
}
