/**
 * For benchmarking only: plugins launched with Deno's `--cpu-prof`, so the runner's side of the
 * forwarding path can be profiled as the host's is with `node --cpu-prof`. Off unless the host's
 * environment sets CORRAL_PLUGIN_CPU_PROF_DIR (docs/benchmarks.md says how to use it).
 *
 * Deno writes the profile when the process exits cleanly (shutdown, or the host closing fd 3),
 * into that folder, which is bound writable into the plugin's namespace: a hole in the sandbox
 * that the host announces in each plugin's log. Never set it in production.
 */
import { isAbsolute } from "node:path";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { denoRunIndex, type LaunchPlan, type RuntimePaths } from "./permission-flags.ts";

/** The host environment variable that turns it on: an absolute folder the profiles go to. */
export const CPU_PROFILE_ENV = "CORRAL_PLUGIN_CPU_PROF_DIR";

/**
 * The folder named by CORRAL_PLUGIN_CPU_PROF_DIR, or undefined when it is unset or empty.
 *
 * @throws {CorralError} ENVIRONMENT when it is not an absolute path.
 */
export function cpuProfileDir(hostEnv: Readonly<Record<string, string | undefined>>): string | undefined {
  const dir = hostEnv[CPU_PROFILE_ENV];
  if (dir === undefined || dir === "") return undefined;
  if (!isAbsolute(dir)) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `${CPU_PROFILE_ENV} must be an absolute folder, got ${JSON.stringify(dir)}`);
  }
  return dir;
}

/**
 * The same launch with `deno run --cpu-prof --cpu-prof-dir=<dir>`, and in a bwrap namespace the
 * folder bound writable at the same path. Everything else (grants, limits, env) stays as it was.
 */
export function withCpuProfile(plan: LaunchPlan, dir: string, paths: Pick<RuntimePaths, "denoBinary">): LaunchPlan {
  const args = [...plan.args];
  const run = denoRunIndex(plan, paths);
  args.splice(run + 1, 0, "--cpu-prof", `--cpu-prof-dir=${dir}`);
  // bwrap's own "--" (the last one before deno; prlimit's comes first) ends its options.
  const separator = args.lastIndexOf("--", run);
  if (args.includes("--unshare-all") && separator >= 0) args.splice(separator, 0, "--bind", dir, dir);
  return { ...plan, args };
}
