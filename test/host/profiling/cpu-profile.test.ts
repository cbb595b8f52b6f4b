/** CPU profile helpers: the seconds a request may ask for, where profiles are saved, the names in one. */
import { readFile, rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { parseProfileSeconds, profileFunctionNames, saveCpuProfile } from "../../../host/profiling/cpu-profile.ts";
import type { CpuProfile } from "../../../host/profiling/cpu-profile.ts";

test("seconds: default when missing, numbers in range, a clear refusal otherwise", () => {
  assert.is(parseProfileSeconds(undefined), 5);
  assert.is(parseProfileSeconds(""), 5);
  assert.is(parseProfileSeconds("0.5"), 0.5);
  assert.is(parseProfileSeconds("300"), 300);
  for (const bad of ["0", "0.05", "301", "abc", "Infinity", "-1"]) {
    try {
      parseProfileSeconds(bad);
      assert.unreachable(`"${bad}" accepted`);
    } catch (error) {
      assert.instance(error, CorralError);
      assert.is((error as CorralError).code, ErrorCode.PROFILE_INVALID);
      assert.ok((error as Error).message.includes(JSON.stringify(bad)), (error as Error).message);
    }
  }
});

const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: "(root)", url: "" } },
    { id: 2, callFrame: { functionName: "", url: "file:///p/mod.ts" } },
    { id: 3, callFrame: { functionName: "handler", url: "file:///p/mod.ts" } },
    { id: 4, callFrame: { functionName: "handler", url: "file:///p/mod.ts" } },
  ],
  startTime: 0, endTime: 1000, samples: [3, 4], timeDeltas: [1, 1],
};

test("function names: distinct, without anonymous frames", () => {
  assert.equal(profileFunctionNames(PROFILE), ["(root)", "handler"]);
});

test("saved under <dataDir>/profiles/<plugin>-<time>.cpuprofile, as JSON", async () => {
  const dir = await mkdtemp(join(tmpdir(), "corral-profile-test-"));
  try {
    const file = await saveCpuProfile(dir, "notes", PROFILE, new Date("2026-01-02T03:04:05.678Z"));
    assert.is(file, join(dir, "profiles", "notes-2026-01-02T03-04-05-678Z.cpuprofile"));
    assert.equal(JSON.parse(await readFile(file, "utf8")), PROFILE);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
