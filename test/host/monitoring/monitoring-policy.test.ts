/** The host policy's `monitoring` section: defaults, a partial override, and a clear refusal. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { defaultPolicy, loadPolicy } from "../../../host/policy.ts";

async function withPolicy<T>(content: unknown, run: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "corral-policy-"));
  try {
    const file = join(dir, "policy.json");
    await writeFile(file, JSON.stringify(content));
    return await run(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("defaults: a ping every 10 s, 2 s to answer", () => {
  assert.equal(defaultPolicy().monitoring, { pingIntervalMs: 10_000, pingTimeoutMs: 2_000 });
});

test("a field given replaces its default; the other keeps it", async () => {
  const policy = await withPolicy({ monitoring: { pingIntervalMs: 500 } }, loadPolicy);
  assert.equal(policy.monitoring, { pingIntervalMs: 500, pingTimeoutMs: 2_000 });
});

test("out of range or unknown: POLICY_INVALID naming the field and the range", async () => {
  for (const monitoring of [{ pingTimeoutMs: 5 }, { pingEveryMs: 100 }]) {
    try {
      await withPolicy({ monitoring }, loadPolicy);
      assert.unreachable("accepted");
    } catch (error) {
      assert.instance(error, CorralError);
      assert.is((error as CorralError).code, ErrorCode.POLICY_INVALID);
      assert.match((error as Error).message, /monitoring/);
    }
  }
});

test.run();
