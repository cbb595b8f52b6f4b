/** withInspector: the same launch plus --inspect on loopback, and the namespace's network shared only for it. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildLaunchPlan, withInspector } from "../../../host/permission-flags.ts";
import type { RuntimePaths } from "../../../host/permission-flags.ts";
import type { LoadedManifest } from "../../../host/manifest/manifest.ts";
import { defaultPolicy } from "../../../host/policy.ts";

const DIR = "/srv/plugins/hello";
const PATHS: RuntimePaths = {
  denoBinary: "/opt/corral/node_modules/@deno/linux-x64-glibc/deno",
  projectRoot: "/opt/corral", runnerPath: "/opt/corral/sandbox/runner.ts", denoConfig: "/opt/corral/deno.json",
  denoDir: "/var/corral/deno-cache", prlimit: null, bwrap: null, setpriv: null,
};

function loaded(net: string[] = []): LoadedManifest {
  return {
    manifest: {
      name: "hello", version: "1.0.0", hostApi: "^1.0.0", entry: "mod.ts", dependencies: {},
      permissions: { net, read: [], env: [] }, limits: {}, database: false, config: {},
      globalHooks: {}, events: { emits: [], subscribes: [], queueSize: 100 }, extensionPoints: {}, contributes: [], commands: {},
      assets: [], lazy: false, instances: { min: 1, max: 1 },
    },
    dir: DIR, file: "plugins/hello/plugin.json", entryPath: `${DIR}/mod.ts`, readPaths: [],
  };
}

test("without a namespace: --inspect=127.0.0.1:0 right after `deno run`, nothing else changes", () => {
  const plan = buildLaunchPlan({ loaded: loaded(), policy: { ...defaultPolicy(), isolation: "none" }, paths: PATHS, hostEnv: {} });
  const inspected = withInspector(plan, PATHS);
  assert.is(inspected.command, plan.command);
  assert.equal(inspected.args, ["run", "--inspect=127.0.0.1:0", ...plan.args.slice(1)]);
  assert.equal(inspected.env, plan.env);
  assert.equal(inspected.grants, plan.grants);
});

test("in a bwrap namespace without a net grant: the host's network is shared, Deno still gets no --allow-net", () => {
  const paths = { ...PATHS, bwrap: "/usr/bin/bwrap", prlimit: "/usr/bin/prlimit" };
  const plan = buildLaunchPlan({ loaded: loaded(), policy: defaultPolicy(), paths, hostEnv: {} });
  assert.ok(!plan.args.includes("--share-net"));
  const inspected = withInspector(plan, paths);
  const all = inspected.args;
  assert.is(all[all.indexOf("--unshare-all") + 1], "--share-net");
  const run = all.findIndex((arg, i) => arg === paths.denoBinary && all[i + 1] === "run");
  assert.is(all[run + 2], "--inspect=127.0.0.1:0", "after the real `deno run`, not after bwrap's --ro-bind of the binary");
  assert.ok(!all.some((arg) => arg.startsWith("--allow-net")));
  // Everything else is as it was.
  const without = all.filter((arg) => arg !== "--share-net" && arg !== "--inspect=127.0.0.1:0");
  assert.equal(without, plan.args);
});

test("a plugin with a net grant already shares the network: only --inspect is added", () => {
  const paths = { ...PATHS, bwrap: "/usr/bin/bwrap" };
  const plan = buildLaunchPlan({ loaded: loaded(["api.example.com:443"]), policy: defaultPolicy(), paths, hostEnv: {} });
  const inspected = withInspector(plan, paths);
  assert.is(inspected.args.filter((arg) => arg === "--share-net").length, 1);
  assert.is(inspected.args.length, plan.args.length + 1);
});

test.run();
