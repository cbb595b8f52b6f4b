/** Tests for the pure launch decision: manifest + policy + machine paths -> the exact command line. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { bootstrapModule, buildLaunchPlan, describeGrants, RLIMIT_DATA_HEADROOM_MB } from "../../host/permission-flags.ts";
import type { LaunchPlan, RuntimePaths } from "../../host/permission-flags.ts";
import type { LoadedManifest, Manifest } from "../../host/manifest/manifest.ts";
import { defaultPolicy, withRuntimeDenies } from "../../host/policy.ts";
import type { HostPolicy } from "../../host/policy.ts";

const DIR = "/srv/plugins/hello";

/** The source of a bootstrap `data:` URL. */
function bootstrapSource(url: string): string {
  const prefix = "data:application/typescript;base64,";
  assert.ok(url.startsWith(prefix), `a bootstrap data: URL, got ${url.slice(0, 60)}`);
  return Buffer.from(url.slice(prefix.length), "base64").toString("utf8");
}
const MiB = 1024 * 1024;

const PATHS: RuntimePaths = {
  denoBinary: "/opt/corral/node_modules/@deno/linux-x64-glibc/deno",
  projectRoot: "/opt/corral",
  runnerPath: "/opt/corral/sandbox/runner.ts",
  denoConfig: "/opt/corral/deno.json",
  denoDir: "/var/corral/deno-cache",
  prlimit: null,
  bwrap: null,
  setpriv: null,
};

type Asked = { net?: string[]; read?: string[]; env?: string[]; limits?: Manifest["limits"] };

function loaded(asked: Asked = {}): LoadedManifest {
  const read = asked.read ?? [];
  return {
    manifest: {
      name: "hello", version: "1.0.0", hostApi: "^1.0.0", entry: "mod.ts", dependencies: {},
      permissions: { net: asked.net ?? [], read, env: asked.env ?? [] },
      limits: asked.limits ?? {}, database: false, config: {},
      globalHooks: {}, events: { emits: [], subscribes: [], queueSize: 100 }, extensionPoints: {}, contributes: [], commands: {},
      assets: [], lazy: false, instances: { min: 1, max: 1 },
    },
    dir: DIR,
    file: "plugins/hello/plugin.json",
    entryPath: `${DIR}/mod.ts`,
    readPaths: read.map((path) => `${DIR}/${path}`),
  };
}

const NONE: HostPolicy = { ...defaultPolicy(), isolation: "none" };

function plan(asked: Asked = {}, options: { policy?: HostPolicy; paths?: Partial<RuntimePaths>; hostEnv?: Record<string, string> } = {}): LaunchPlan {
  return buildLaunchPlan({
    loaded: loaded(asked),
    policy: options.policy ?? NONE,
    paths: { ...PATHS, ...options.paths },
    hostEnv: options.hostEnv ?? {},
  });
}

function refusal(run: () => unknown): CorralError {
  try {
    run();
  } catch (error) {
    assert.instance(error, CorralError);
    return error as CorralError;
  }
  assert.unreachable("expected the plan to be refused");
  throw new Error("unreachable"); // for the type checker: uvu types unreachable() as void
}

/** The args after the deno binary, in a plan without wrappers. */
function denoArgs(p: LaunchPlan): string[] {
  const all = [p.command, ...p.args];
  return all.slice(all.lastIndexOf(PATHS.denoBinary) + 1);
}

test("nothing granted: no --allow-* flag at all, defaults from the policy, a scrubbed env", () => {
  const p = plan({}, { hostEnv: { HOME: "/root", PATH: "/usr/bin", SECRET: "x" } });
  assert.is(p.command, PATHS.denoBinary);
  assert.equal(p.args, [
    "run", "--config", PATHS.denoConfig, "--no-prompt", "--no-remote", "--no-lock",
    "--v8-flags=--max-old-space-size=128", bootstrapModule(PATHS.runnerPath, `${DIR}/mod.ts`),
  ]);
  assert.equal(p.env, { DENO_DIR: PATHS.denoDir, NO_COLOR: "1" });
  assert.equal(p.grants, { net: [], read: [], env: [], memoryMb: 128, timeoutMs: 10000, maxBodyBytes: MiB, isolation: "none", host: [] });
  assert.is(p.dataLimitBytes, null);
});

test("each flag carries exactly the granted list", () => {
  const p = plan({ net: ["API.example.com:443", "[::1]:8080"], read: ["templates", "data/a.txt"], env: ["API_KEY", "MODE"] });
  const args = denoArgs(p);
  assert.equal(args.filter((a) => a.startsWith("--allow-")), [
    "--allow-net=api.example.com:443,[::1]:8080",
    `--allow-read=${DIR}/templates,${DIR}/data/a.txt`,
    "--allow-env=API_KEY,MODE",
  ]);
  assert.equal(p.grants.net, ["api.example.com:443", "[::1]:8080"]);
  assert.equal(p.grants.read, [`${DIR}/templates`, `${DIR}/data/a.txt`]);
  assert.equal(p.grants.env, ["API_KEY", "MODE"]);
  assert.is(bootstrapSource(args.at(-1)!), bootstrapSource(bootstrapModule(PATHS.runnerPath, `${DIR}/mod.ts`)),
    "the bootstrap module comes last, after every flag");
});

test("only the kinds that are granted get a flag", () => {
  assert.equal(denoArgs(plan({ env: ["A"] })).filter((a) => a.startsWith("--allow-")), ["--allow-env=A"]);
  assert.equal(denoArgs(plan({ read: ["x"] })).filter((a) => a.startsWith("--allow-")), [`--allow-read=${DIR}/x`]);
  assert.equal(denoArgs(plan({ net: ["a.com:1"] })).filter((a) => a.startsWith("--allow-")), ["--allow-net=a.com:1"]);
});

test("never grants run, ffi, sys, write or everything, in any mode", () => {
  const forbidden = /^(--allow-(run|ffi|sys|write|all|scripts|import)|-A|--unstable)/;
  const variants = [
    plan(),
    plan({ net: ["a.com:443"], read: ["r"], env: ["E"], limits: { memoryMb: 512 } }),
    plan({ net: ["a.com:443"] }, { policy: defaultPolicy(), paths: { bwrap: "/usr/bin/bwrap", prlimit: "/usr/bin/prlimit" } }),
    plan({ env: ["E"] }, { paths: { setpriv: "/usr/bin/setpriv", prlimit: "/usr/bin/prlimit" } }),
  ];
  for (const p of variants) {
    for (const arg of [p.command, ...p.args]) assert.not.match(arg, forbidden);
    assert.ok(p.args.includes("--no-prompt") && p.args.includes("--no-remote"), "--no-prompt and --no-remote are always there");
  }
});

test("limits: the manifest's value when given, the policy's default otherwise; the heap flag follows memoryMb", () => {
  const p = plan({ limits: { memoryMb: 300, maxBodyBytes: 0 } });
  assert.is(p.grants.memoryMb, 300);
  assert.is(p.grants.timeoutMs, 10000);
  assert.is(p.grants.maxBodyBytes, 0);
  assert.ok(p.args.includes("--v8-flags=--max-old-space-size=300"));
});

test("a limit over the policy ceiling is refused naming the field, the value and the ceiling", () => {
  const error = refusal(() => plan({ limits: { memoryMb: 2048, timeoutMs: 120000, maxBodyBytes: 128 * MiB } }));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.equal(error.message.split("\n"), [
    "plugins/hello/plugin.json: /limits/memoryMb: 2048 is over the host policy's ceiling limits.maxMemoryMb (1024)",
    "plugins/hello/plugin.json: /limits/timeoutMs: 120000 is over the host policy's ceiling limits.maxTimeoutMs (60000)",
    "plugins/hello/plugin.json: /limits/maxBodyBytes: 134217728 is over the host policy's ceiling limits.maxBodyBytes (67108864)",
  ]);
  assert.is(plan({ limits: { memoryMb: 1024 } }).grants.memoryMb, 1024, "exactly the ceiling is fine");
});

test("a net grant the policy denies is refused naming the grant", () => {
  const policy = withRuntimeDenies(NONE, ["127.0.0.1:8080"]);
  const error = refusal(() => plan({ net: ["api.example.com:443", "localhost:8080", "169.254.169.254:80"] }, { policy }));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.equal(error.message.split("\n"), [
    `plugins/hello/plugin.json: /permissions/net/1: "localhost:8080" matches the host policy's deny pattern "127.0.0.1:8080"`,
    `plugins/hello/plugin.json: /permissions/net/2: "169.254.169.254:80" matches the host policy's deny pattern "169.254.169.254:*"`,
  ]);
});

test("a net grant outside the policy's allow list is refused", () => {
  const policy: HostPolicy = { ...NONE, net: { allow: ["*:443"], deny: [] } };
  const error = refusal(() => plan({ net: ["example.com:80"] }, { policy }));
  assert.ok(error.message.includes(`/permissions/net/0: "example.com:80" matches none of the host policy's allow patterns ("*:443")`), error.message);
});

test("concrete deny patterns reach Deno as --deny-net (checked on resolved addresses), loopback widened", () => {
  const policy = withRuntimeDenies(NONE, ["127.0.0.1:8080", "*:5432"]);
  const args = denoArgs(plan({ net: ["api.example.com:443"] }, { policy }));
  assert.ok(args.includes(
    "--deny-net=169.254.169.254,metadata.google.internal,127.0.0.0/8:8080,[::1]:8080,0.0.0.0:8080,[::]:8080"), args.join(" "));
  assert.not.ok(denoArgs(plan({}, { policy })).some((a) => a.startsWith("--deny-net")), "no net, no deny list needed");
});

test("env is scrubbed: only granted names that are set, plus DENO_DIR and NO_COLOR", () => {
  const p = plan({ env: ["API_KEY", "UNSET_ONE"] }, { hostEnv: { API_KEY: "k", HOME: "/root", PATH: "/bin", OTHER: "o" } });
  assert.equal(p.env, { API_KEY: "k", DENO_DIR: PATHS.denoDir, NO_COLOR: "1" });
  assert.equal(p.grants.env, ["API_KEY", "UNSET_ONE"], "an unset variable is still granted, just absent");
});

test("an env name on the policy's deny list, or one that steers Deno or the loader, is refused", () => {
  const error = refusal(() => plan({ env: ["DATABASE_URL", "API_KEY", "DENO_V8_FLAGS", "LD_PRELOAD"] }));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.equal(error.message.split("\n"), [
    `plugins/hello/plugin.json: /permissions/env/0: "DATABASE_URL" is on the host policy's env deny list`,
    `plugins/hello/plugin.json: /permissions/env/2: "DENO_V8_FLAGS" configures the Deno runtime or the dynamic loader, not the plugin`,
    `plugins/hello/plugin.json: /permissions/env/3: "LD_PRELOAD" configures the Deno runtime or the dynamic loader, not the plugin`,
  ]);
});

test("a read path with a comma (which Deno would split into two grants) is refused", () => {
  const error = refusal(() => buildLaunchPlan({
    loaded: { ...loaded({ read: ["a"] }), readPaths: [`${DIR}/a,/etc`] }, policy: NONE, paths: PATHS, hostEnv: {},
  }));
  assert.is(error.code, ErrorCode.POLICY_DENIED);
  assert.ok(error.message.includes("/permissions/read/0"), error.message);
});

const BWRAP = { bwrap: "/usr/bin/bwrap" };

test("with bwrap available, auto isolation runs deno inside a namespace", () => {
  const p = plan({}, { policy: defaultPolicy(), paths: BWRAP });
  assert.is(p.command, "/usr/bin/bwrap");
  assert.is(p.grants.isolation, "namespace");
  const split = p.args.indexOf("--");
  assert.equal(p.args.slice(split + 1, split + 3), [PATHS.denoBinary, "run"]);
  const outer = p.args.slice(0, split);
  for (const flag of ["--unshare-all", "--die-with-parent", "--new-session"]) assert.ok(outer.includes(flag), flag);
  const binds = outer.flatMap((arg, i) => arg === "--ro-bind" ? [`${outer[i + 1]}=>${outer[i + 2]}`] : []);
  for (const path of ["/usr", PATHS.denoBinary, "/opt/corral/node_modules", "/opt/corral/sandbox", "/opt/corral/schemas",
    PATHS.denoConfig, "/opt/corral/package.json", DIR]) {
    assert.ok(binds.includes(`${path}=>${path}`), `read-only bind of ${path}`);
  }
  assert.not.ok(outer.some((arg) => arg === "--bind" || arg === "--dev-bind"), "nothing is bound writable");
  assert.equal(outer.slice(outer.indexOf("--chdir"), outer.indexOf("--chdir") + 2), ["--chdir", DIR]);
  assert.equal(p.env, { DENO_DIR: "/tmp/deno", NO_COLOR: "1" });
});

test("--share-net and the resolver files appear only when net is granted", () => {
  const without = plan({ env: ["A"] }, { policy: defaultPolicy(), paths: BWRAP });
  assert.not.ok(without.args.includes("--share-net"));
  assert.not.ok(without.args.includes("/etc/resolv.conf"));
  const withNet = plan({ net: ["a.com:443"] }, { policy: defaultPolicy(), paths: BWRAP });
  const outer = withNet.args.slice(0, withNet.args.indexOf("--"));
  assert.ok(outer.includes("--share-net"));
  const tries = outer.flatMap((arg, i) => arg === "--ro-bind-try" ? [outer[i + 1]] : []);
  assert.equal(tries, ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl"]);
});

test("a runner outside the bound folders is bound too", () => {
  const p = plan({}, { policy: defaultPolicy(), paths: { ...BWRAP, runnerPath: "/elsewhere/probe.ts" } });
  const split = p.args.indexOf("--");
  const i = p.args.indexOf("/elsewhere/probe.ts");
  assert.ok(i > 0 && i < split && p.args[i - 1] === "--ro-bind", "runner bound read-only");
  assert.match(bootstrapSource(p.args.at(-1)!), /from "file:\/\/\/elsewhere\/probe\.ts"/);
  const inside = plan({}, { policy: defaultPolicy(), paths: BWRAP });
  assert.is(inside.args.filter((a) => a === PATHS.runnerPath).length, 0, "the sandbox/ bind already covers the real runner");
});

test("the bootstrap module imports the runner, then hands it a literal import() of the entry", () => {
  assert.is(bootstrapSource(bootstrapModule("/opt/corral/sandbox/runner.ts", "/srv/plugins/my plugin/mod.ts")),
    'import { startRunner } from "file:///opt/corral/sandbox/runner.ts";\n' +
      'startRunner(() => import("file:///srv/plugins/my%20plugin/mod.ts"));\n');
});

test("isolation \"none\" runs deno directly, even with bwrap installed", () => {
  const p = plan({}, { policy: NONE, paths: BWRAP });
  assert.is(p.command, PATHS.denoBinary);
  assert.is(p.grants.isolation, "none");
});

test("isolation \"auto\" without bwrap runs deno directly", () => {
  const p = plan({}, { policy: defaultPolicy() });
  assert.is(p.command, PATHS.denoBinary);
  assert.is(p.grants.isolation, "none");
});

test("isolation \"namespace\" without bwrap refuses, saying how to install it", () => {
  const error = refusal(() => plan({}, { policy: { ...defaultPolicy(), isolation: "namespace" } }));
  assert.is(error.code, ErrorCode.ENVIRONMENT);
  assert.ok(error.message.includes("apt-get install -y bubblewrap"), error.message);
});

test("without a namespace, setpriv ties the plugin's life to the host's", () => {
  const p = plan({}, { paths: { setpriv: "/usr/bin/setpriv" } });
  assert.is(p.command, "/usr/bin/setpriv");
  assert.equal(p.args.slice(0, 4), ["--pdeathsig", "SIGKILL", "--", PATHS.denoBinary]);
  const ns = plan({}, { policy: defaultPolicy(), paths: { ...BWRAP, setpriv: "/usr/bin/setpriv" } });
  assert.not.ok([ns.command, ...ns.args].includes("/usr/bin/setpriv"), "bwrap's --die-with-parent does that job in a namespace");
});

test("prlimit wraps everything with an RLIMIT_DATA of memoryMb + headroom", () => {
  const p = plan({ limits: { memoryMb: 256 } }, { policy: defaultPolicy(), paths: { ...BWRAP, prlimit: "/usr/bin/prlimit" } });
  const bytes = (256 + RLIMIT_DATA_HEADROOM_MB) * MiB;
  assert.is(RLIMIT_DATA_HEADROOM_MB, 1024);
  assert.is(p.dataLimitBytes, bytes);
  assert.is(p.command, "/usr/bin/prlimit");
  assert.equal(p.args.slice(0, 3), [`--data=${bytes}:${bytes}`, "--", "/usr/bin/bwrap"], "order: prlimit -> bwrap -> deno");
  const direct = plan({}, { paths: { prlimit: "/usr/bin/prlimit", setpriv: "/usr/bin/setpriv" } });
  assert.equal([direct.command, ...direct.args.slice(0, 5)],
    ["/usr/bin/prlimit", `--data=${(128 + 1024) * MiB}:${(128 + 1024) * MiB}`, "--", "/usr/bin/setpriv", "--pdeathsig", "SIGKILL"]);
});

test("describeGrants lists every grant on one line", () => {
  const p = plan({ net: ["a.com:443"], env: ["A", "B"] });
  assert.is(describeGrants(p.grants),
    "net=[a.com:443] read=none env=[A, B] memoryMb=128 timeoutMs=10000 maxBodyBytes=1048576 isolation=none");
});

test.run();
