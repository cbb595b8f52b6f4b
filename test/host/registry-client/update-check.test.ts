/** The host's update check against a stand-in client: reports, failures, warnings logged once. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { RegistryCheck, RegistryClient } from "../../../host/registry-client/registry-client.ts";
import { checkIntervalFromEnv, DEFAULT_CHECK_INTERVAL_MS, UpdateChecker } from "../../../host/registry-client/update-check.ts";
import { memoryLogger } from "../../helpers/database.ts";

const advisory = { id: 7, name: "a", affected: "<2.0.0", severity: "high" as const, title: "bad", body: "", by: "rita", createdAt: "2024-01-01T00:00:00.000Z" };
const v2 = { name: "a", version: "2.0.0", hostApi: "^0.1.0", permissions: [], changelog: "fix", sha256: "", size: 1, keyId: "", publishedBy: "x", publishedAt: "", review: { status: "approved" as const, note: null, by: null, at: null } };

function stand_in(answers: (RegistryCheck[] | Error)[]): RegistryClient {
  return {
    url: "http://registry.test",
    check: async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as RegistryClient;
}

test("a check reports newer versions and advisories; the warning is logged once across checks", async () => {
  const result: RegistryCheck[] = [{ name: "a", installed: "1.0.0", known: true, latest: v2, newer: [v2], advisories: [advisory] }];
  const { logger, records } = memoryLogger();
  const checker = new UpdateChecker({ client: stand_in([result, result]), hostVersion: "0.1.0", installed: () => [{ name: "a", version: "1.0.0" }], intervalMs: 60_000, log: logger });
  assert.is(checker.report().checkedAt, null);
  const report = await checker.checkNow();
  assert.is(report.available, 1);
  assert.is(report.warnings, 1);
  assert.equal(report.plugins[0]!.newer, [{ version: "2.0.0", changelog: "fix", review: "approved" }]);
  await checker.checkNow();
  const warned = records.filter((r) => r.message === "security advisory affects the installed version");
  assert.is(warned.length, 1);
  assert.is(warned[0]!.fields!.fix, "update to 2.0.0");
});

test("a failed check keeps the previous results and says why", async () => {
  const result: RegistryCheck[] = [{ name: "a", installed: "1.0.0", known: true, latest: v2, newer: [v2], advisories: [] }];
  const { logger, records } = memoryLogger();
  const checker = new UpdateChecker({
    client: stand_in([result, new CorralError(ErrorCode.REGISTRY_UNREACHABLE, "cannot reach the registry")]),
    hostVersion: "0.1.0", installed: () => [{ name: "a", version: "1.0.0" }], intervalMs: 60_000, log: logger,
  });
  await checker.checkNow();
  const failed = await checker.checkNow();
  assert.equal(failed.error, { code: "CORRAL_E_REGISTRY_UNREACHABLE", message: "cannot reach the registry" });
  assert.is(failed.plugins[0]!.latest, "2.0.0");
  assert.ok(records.some((r) => r.level === "warn" && r.message.startsWith("registry check failed")));
});

test("CORRAL_REGISTRY_CHECK_MS: default, a value, and a refusal naming the variable", () => {
  assert.is(checkIntervalFromEnv({}), DEFAULT_CHECK_INTERVAL_MS);
  assert.is(checkIntervalFromEnv({ CORRAL_REGISTRY_CHECK_MS: "5000" }), 5000);
  assert.throws(() => checkIntervalFromEnv({ CORRAL_REGISTRY_CHECK_MS: "soon" }), /CORRAL_REGISTRY_CHECK_MS must be a whole number/);
});

test.run();
