/** Decides how one plugin process is launched: manifest + policy + machine paths -> command line. Pure. */
import { pathToFileURL } from "node:url";
import { join, relative, isAbsolute, sep } from "node:path";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import type { LoadedManifest, Manifest } from "./manifest/manifest.ts";
import { isLoopbackHost, netGrantRefusal, parseNetAddress, parseNetPattern } from "./policy.ts";
import type { HostPolicy, PolicyDefaults, PolicyLimits } from "./policy.ts";

/** Where things are on this machine; `null` for an optional tool that is not installed. */
export interface RuntimePaths {
  /** The real Deno binary (not node_modules/.bin/deno, a Node launcher that costs ~90 ms). */
  denoBinary: string;
  /** The folder holding package.json, deno.json, node_modules, sandbox/ and schemas/. */
  projectRoot: string;
  /** The sandbox runner module the Deno process starts in. */
  runnerPath: string;
  /** deno.json: the import map for `@corral/sdk` and `hono`, `nodeModulesDir: "manual"`. */
  denoConfig: string;
  /** Deno's cache folder when plugins run without a namespace (inside one it is `/tmp/deno`). */
  denoDir: string;
  prlimit: string | null;
  bwrap: string | null;
  setpriv: string | null;
}

/** What one plugin process was actually given, after the policy had its say. */
export interface Grants {
  /** Canonical `host:port` grants. */
  readonly net: readonly string[];
  /** Absolute real paths. */
  readonly read: readonly string[];
  /** Variable names the plugin may read (passed when set on the host). */
  readonly env: readonly string[];
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly isolation: "namespace" | "none";
  /**
   * Host services beyond the sandbox (manifest `host`, e.g. "health"); shown in /health with the
   * rest. Always set by buildLaunchPlan; optional so grants built in code need not name it.
   */
  readonly host?: readonly string[];
}

/** Everything needed to spawn the plugin: `spawn(command, args, { env })`. */
export interface LaunchPlan {
  command: string;
  args: string[];
  /** The child's whole environment: granted variables, DENO_DIR and NO_COLOR, nothing else. */
  env: Record<string, string>;
  grants: Grants;
  /** The RLIMIT_DATA ceiling in bytes, or null when prlimit is missing and none is set. */
  dataLimitBytes: number | null;
}

/**
 * RLIMIT_DATA headroom over the JS heap limit, in MiB.
 *
 * Measured here (Deno 2.9.6, `prlimit --data=N:N -- deno run --no-prompt --no-remote t.ts` of a
 * one-line script, bisected): Deno needs 542-544 MiB just to start, whatever --max-old-space-size
 * says (16, 128, 1024 or 4096), because V8 reserves its code range up front ("Failed to reserve
 * virtual memory for CodeRange" below that). A module that imports hono and serves one request
 * needs 546 MiB; filling the JS heap adds ~1.2 MiB of data per MiB of heap used. With
 * memoryMb + 1024, a heap filled to its limit dies of "Reached heap limit" (the clear error) for
 * memoryMb 128 and 1024, and ArrayBuffers, which the heap flag does not bound, stop with
 * "Array buffer allocation failed" at 576 MiB (memoryMb 128) and 1472 MiB (memoryMb 1024).
 */
export const RLIMIT_DATA_HEADROOM_MB = 1024;

/** Files a plugin with net grants needs in its namespace to resolve names and check TLS certificates. */
export const NET_ETC_FILES: readonly string[] = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl"];

/** DENO_DIR inside the namespace: a private tmpfs, so plugins never share a cache. */
export const NAMESPACE_DENO_DIR = "/tmp/deno";

// Variables that steer the Deno runtime or the dynamic loader rather than the plugin: passing the
// host's value of, say, DENO_V8_FLAGS or LD_PRELOAD would change how the sandbox itself runs.
const RUNTIME_ENV_PREFIXES = ["DENO_", "LD_"];

const MiB = 1024 * 1024;

/**
 * Builds the command line that runs one plugin under its grants, and nothing more.
 *
 * Deno gets `--no-prompt --no-remote --no-lock`, an `--allow-net/read/env` flag only for what is
 * granted (never run, ffi, sys, write or all), `--deny-net` for the policy's concrete deny
 * patterns (Deno checks it against resolved addresses, so a name that resolves to a denied
 * address is refused too), and the heap limit. Around it: `prlimit` for RLIMIT_DATA, and either a
 * bwrap mount namespace or, without one, `setpriv --pdeathsig SIGKILL`.
 *
 * @throws CorralError POLICY_DENIED listing every grant or limit the policy refuses;
 *   ENVIRONMENT when the policy demands a namespace and bwrap is missing.
 *
 * @example
 * ```ts
 * const plan = buildLaunchPlan({ loaded, policy, paths, hostEnv: process.env });
 * spawn(plan.command, plan.args, { env: plan.env, stdio: ["ignore", "pipe", "pipe", "pipe"] });
 * ```
 */
export function buildLaunchPlan(input: {
  loaded: LoadedManifest;
  policy: HostPolicy;
  paths: RuntimePaths;
  hostEnv: Readonly<Record<string, string | undefined>>;
}): LaunchPlan {
  const { loaded, policy, paths, hostEnv } = input;
  const bwrap = chooseBwrap(policy, paths);
  const grants: Grants = Object.freeze({ ...decideGrants(loaded, policy), isolation: bwrap === null ? "none" : "namespace" });

  let argv = [paths.denoBinary, ...denoArgs(grants, policy, paths), bootstrapModule(paths.runnerPath, loaded.entryPath)];
  if (bwrap !== null) {
    argv = [bwrap, ...bwrapArgs(loaded.dir, paths, grants.net.length > 0), "--", ...argv];
  } else if (paths.setpriv !== null) {
    // Without a namespace nothing ties the plugin's life to the host's: if the host is killed,
    // a plugin whose event loop is stuck never notices fd 3 closing and runs on, orphaned
    // (checked: a `while (true) {}` module outlived its SIGKILLed parent without this).
    argv = [paths.setpriv, "--pdeathsig", "SIGKILL", "--", ...argv];
  }
  let dataLimitBytes: number | null = null;
  if (paths.prlimit !== null) {
    dataLimitBytes = (grants.memoryMb + RLIMIT_DATA_HEADROOM_MB) * MiB;
    argv = [paths.prlimit, `--data=${dataLimitBytes}:${dataLimitBytes}`, "--", ...argv];
  }

  const env: Record<string, string> = {};
  for (const name of grants.env) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.DENO_DIR = bwrap === null ? paths.denoDir : NAMESPACE_DENO_DIR;
  env.NO_COLOR = "1";

  return { command: argv[0], args: argv.slice(1), env, grants, dataLimitBytes };
}

/** The grants the policy lets through; every refusal at once, one line each, else none. */
function decideGrants(loaded: LoadedManifest, policy: HostPolicy): Omit<Grants, "isolation"> {
  const { manifest } = loaded;
  const problems: string[] = [];

  const limit = (field: keyof PolicyDefaults & keyof Manifest["limits"], ceilingName: keyof PolicyLimits) => {
    const asked = manifest.limits[field];
    const ceiling = policy.limits[ceilingName];
    if (asked === undefined) return policy.defaults[field];
    if (asked > ceiling) problems.push(`/limits/${field}: ${asked} is over the host policy's ceiling limits.${ceilingName} (${ceiling})`);
    return asked;
  };
  const memoryMb = limit("memoryMb", "maxMemoryMb");
  const timeoutMs = limit("timeoutMs", "maxTimeoutMs");
  const maxBodyBytes = limit("maxBodyBytes", "maxBodyBytes");

  const net: string[] = [];
  manifest.permissions.net.forEach((grant, index) => {
    const refusal = netGrantRefusal(policy, grant);
    const address = parseNetAddress(grant);
    if (refusal !== null || address === null) {
      problems.push(`/permissions/net/${index}: "${grant}" ${refusal ?? "is malformed"}`);
    } else if (!net.includes(`${address.host}:${address.port}`)) {
      net.push(`${address.host}:${address.port}`);
    }
  });

  const env: string[] = [];
  manifest.permissions.env.forEach((name, index) => {
    if (policy.env.deny.includes(name)) {
      problems.push(`/permissions/env/${index}: "${name}" is on the host policy's env deny list`);
    } else if (RUNTIME_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      problems.push(`/permissions/env/${index}: "${name}" configures the Deno runtime or the dynamic loader, not the plugin`);
    } else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push(`/permissions/env/${index}: "${name}" is not a variable name`);
    } else {
      env.push(name);
    }
  });

  loaded.readPaths.forEach((path, index) => {
    // Deno splits --allow-read on commas, so one path with a comma would grant two.
    if (!isAbsolute(path) || path.includes(",") || !isInside(loaded.dir, path)) {
      problems.push(`/permissions/read/${index}: "${path}" is not an absolute path inside ${loaded.dir} without commas`);
    }
  });

  if (problems.length > 0) {
    throw new CorralError(ErrorCode.POLICY_DENIED, problems.map((line) => `${loaded.file}: ${line}`).join("\n"));
  }
  return {
    net: Object.freeze(net), read: Object.freeze([...loaded.readPaths]), env: Object.freeze(env),
    memoryMb, timeoutMs, maxBodyBytes, host: Object.freeze([...(manifest.host ?? [])]),
  };
}

/** `deno run` flags: an allow flag per granted kind only, never run/ffi/sys/write/all. */
function denoArgs(grants: Grants, policy: HostPolicy, paths: RuntimePaths): string[] {
  const args = ["run", "--config", paths.denoConfig, "--no-prompt", "--no-remote", "--no-lock"];
  if (grants.net.length > 0) {
    args.push(`--allow-net=${grants.net.join(",")}`);
    const deny = denoDenyNet(policy);
    if (deny.length > 0) args.push(`--deny-net=${deny.join(",")}`);
  }
  if (grants.read.length > 0) args.push(`--allow-read=${grants.read.join(",")}`);
  if (grants.env.length > 0) args.push(`--allow-env=${grants.env.join(",")}`);
  args.push(`--v8-flags=--max-old-space-size=${grants.memoryMb}`);
  return args;
}

/**
 * The main module Deno runs: a `data:` URL that hands the runner a literal `import()` of the
 * plugin's entry. A literal specifier puts the plugin's module graph in Deno's static graph, so it
 * loads without a read grant on the plugin folder (a computed `import(url)` is checked against
 * `--allow-read`: measured on Deno 2.9.6), and it loads only when the runner calls it, after the
 * handshake. `--no-remote` still applies: `data:` URLs are local.
 */
export function bootstrapModule(runnerPath: string, entryPath: string): string {
  const runner = JSON.stringify(pathToFileURL(runnerPath).href);
  const entry = JSON.stringify(pathToFileURL(entryPath).href);
  const source = `import { startRunner } from ${runner};\nstartRunner(() => import(${entry}));\n`;
  return `data:application/typescript;base64,${Buffer.from(source, "utf8").toString("base64")}`;
}

/**
 * One log line with every grant.
 *
 * @example
 * ```ts
 * describeGrants(plan.grants);
 * // 'net=[api.example.com:443] read=none env=[API_KEY] memoryMb=128 timeoutMs=10000 maxBodyBytes=1048576 isolation=namespace'
 * ```
 */
export function describeGrants(grants: Grants): string {
  const list = (items: readonly string[]) => items.length === 0 ? "none" : `[${items.join(", ")}]`;
  return `net=${list(grants.net)} read=${list(grants.read)} env=${list(grants.env)} ` +
    `memoryMb=${grants.memoryMb} timeoutMs=${grants.timeoutMs} maxBodyBytes=${grants.maxBodyBytes} ` +
    `isolation=${grants.isolation}`;
}

/** The bwrap binary to run the plugin under, or null to run it without a namespace. */
function chooseBwrap(policy: HostPolicy, paths: RuntimePaths): string | null {
  if (policy.isolation === "none") return null;
  if (paths.bwrap !== null) return paths.bwrap;
  if (policy.isolation === "auto") return null;
  throw new CorralError(ErrorCode.ENVIRONMENT,
    `the host policy sets isolation "namespace" but bwrap was not found; install it (apt-get install -y bubblewrap) ` +
    `or set isolation to "auto" to run plugins without a mount namespace`);
}

/**
 * The namespace holds only what the plugin may see: system libraries, Deno, the project's
 * node_modules, sandbox/ and schemas/, and the plugin folder, all read-only. It exists because
 * Deno's `--allow-read` does not govern `import()` of local files.
 */
function bwrapArgs(pluginDir: string, paths: RuntimePaths, net: boolean): string[] {
  const args = ["--unshare-all"];
  if (net) args.push("--share-net");
  args.push(
    "--die-with-parent", "--new-session",
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64",
    "--symlink", "usr/bin", "/bin",
    "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
  );
  const roots = [
    join(paths.projectRoot, "node_modules"), join(paths.projectRoot, "sandbox"), join(paths.projectRoot, "schemas"),
  ];
  const binds = [paths.denoBinary, ...roots, paths.denoConfig, join(paths.projectRoot, "package.json")];
  // A runner outside the project's bound folders (as in tests) still has to be visible.
  if (![...roots, pluginDir].some((root) => isInside(root, paths.runnerPath))) binds.push(paths.runnerPath);
  binds.push(pluginDir);
  for (const path of binds) args.push("--ro-bind", path, path);
  if (net) {
    // -try: a machine without one of these (no /etc/ssl, say) still starts the plugin.
    for (const path of NET_ETC_FILES) args.push("--ro-bind-try", path, path);
  }
  args.push("--chdir", pluginDir);
  return args;
}

/**
 * The policy's deny patterns in Deno's `--deny-net` syntax. A loopback host stands for the whole
 * loopback range and the any-address, which reach the same listener. `*:port` has no Deno form;
 * it is enforced by name only, when grants are checked.
 */
function denoDenyNet(policy: HostPolicy): string[] {
  const out: string[] = [];
  for (const text of policy.net.deny) {
    const pattern = parseNetPattern(text);
    if (pattern === null || pattern.host === "*") continue;
    const port = pattern.port === "*" ? "" : `:${pattern.port}`;
    const hosts = isLoopbackHost(pattern.host) ? ["127.0.0.0/8", "[::1]", "0.0.0.0", "[::]"] : [pattern.host];
    for (const host of hosts) if (!out.includes(host + port)) out.push(host + port);
  }
  return out;
}

function isInside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The same launch with the V8 inspector on a loopback port the OS picks (`--inspect=127.0.0.1:0`;
 * Deno prints the WebSocket URL on stderr). In a bwrap namespace without a net grant the plugin's
 * network namespace is shared with the host's (`--share-net`), or nothing outside could reach the
 * port; Deno's permissions still give the plugin's code no network (no `--allow-net` is added).
 * Everything else (mounts, limits, env) stays as it was. See docs/health-and-profiling.md.
 */
export function withInspector(plan: LaunchPlan, paths: Pick<RuntimePaths, "denoBinary">): LaunchPlan {
  const args = [...plan.args];
  const run = denoRunIndex(plan, paths);
  args.splice(run + 1, 0, "--inspect=127.0.0.1:0");
  const unshare = args.indexOf("--unshare-all");
  if (unshare >= 0 && run > unshare && args[unshare + 1] !== "--share-net") args.splice(unshare + 1, 0, "--share-net");
  return { ...plan, args };
}

/**
 * Where the `run` of `deno run` is in `plan.args`, so a variant of the launch can add Deno flags
 * right after it.
 *
 * @throws {Error} when the command line holds no `deno run` (a plan not made by buildLaunchPlan).
 */
export function denoRunIndex(plan: LaunchPlan, paths: Pick<RuntimePaths, "denoBinary">): number {
  // The binary also appears in bwrap's --ro-bind pairs: the one followed by "run" is the command.
  const deno = plan.command === paths.denoBinary ? -1 : plan.args.findIndex((arg, i) => arg === paths.denoBinary && plan.args[i + 1] === "run");
  const run = deno + 1;
  if (plan.args[run] !== "run") throw new Error(`cannot find "deno run" in the plugin's command line: ${[plan.command, ...plan.args].join(" ")}`);
  return run;
}
