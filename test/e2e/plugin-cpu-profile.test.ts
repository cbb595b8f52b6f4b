/**
 * CORRAL_PLUGIN_CPU_PROF_DIR (benchmarking only): the plugin runs under `deno --cpu-prof`, in its
 * bwrap namespace when there is one, and leaves a V8 CPU profile in that folder when it stops;
 * without the variable nothing is written anywhere.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withCpuProfile } from "../../host/cpu-profile-launch.ts";
import { startTestHost } from "../helpers/host.ts";

test("a plugin's CPU profile lands in the folder when the host stops it, and covers its request handling", async () => {
  const dir = await mkdtemp(join(tmpdir(), "corral-cpu-prof-"));
  try {
    const host = await startTestHost({ plugins: ["echo"], env: { CORRAL_PLUGIN_CPU_PROF_DIR: dir } });
    try {
      const response = await fetch(`${host.url}/plugins/echo/echo/x`);
      assert.is(response.status, 200);
      await response.arrayBuffer();
      assert.ok(host.logs.some((record) => record.message.includes("CORRAL_PLUGIN_CPU_PROF_DIR is set")), "the hole in the sandbox is announced");
    } finally {
      await host.close();
    }
    const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
    assert.is(files.length, 1, `one profile, got ${files.join(", ")}`);
    const profile = JSON.parse(await readFile(join(dir, files[0]!), "utf8")) as { nodes: { callFrame: { url: string } }[] };
    assert.ok(profile.nodes.some((node) => node.callFrame.url.endsWith("sandbox/session.ts")), "the runner's own code is in the profile");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the flags go right after `deno run`, and the folder is bound writable inside bwrap's options only", () => {
  const deno = "/opt/deno";
  const plan = {
    command: "/usr/bin/prlimit",
    args: ["--data=1:1", "--", "/usr/bin/bwrap", "--unshare-all", "--ro-bind", deno, deno, "--", deno, "run", "--no-prompt", "data:x"],
    env: {}, grants: {} as never, dataLimitBytes: 1,
  };
  const profiled = withCpuProfile(plan, "/tmp/prof", { denoBinary: deno });
  assert.equal(profiled.args, [
    "--data=1:1", "--", "/usr/bin/bwrap", "--unshare-all", "--ro-bind", deno, deno, "--bind", "/tmp/prof", "/tmp/prof", "--",
    deno, "run", "--cpu-prof", "--cpu-prof-dir=/tmp/prof", "--no-prompt", "data:x",
  ]);
  const bare = withCpuProfile({ ...plan, command: deno, args: ["run", "data:x"] }, "/tmp/prof", { denoBinary: deno });
  assert.equal(bare.args, ["run", "--cpu-prof", "--cpu-prof-dir=/tmp/prof", "data:x"]);
});

test.run();
