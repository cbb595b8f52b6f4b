/** Which registry version `corral install <name>[@range]` takes, and how a miss is explained. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chooseVersion, looksLikeSpec, parseSpec } from "../../../host/cli/registry-install.ts";
import type { RegistryVersion } from "../../../host/registry-client/registry-client.ts";
import { CorralError } from "../../../schemas/errors.ts";

const v = (version: string, hostApi = "^0.1.0"): RegistryVersion => ({
  name: "weather", version, hostApi, permissions: [], changelog: "", sha256: "", size: 1, keyId: "", publishedBy: "a", publishedAt: "",
  review: { status: "unreviewed", note: null, by: null, at: null },
});
const listed = [v("1.0.0"), v("2.0.0", "^9.0.0"), v("1.2.0"), v("1.3.0-beta.1"), v("1.1.0")];

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.instance(error, CorralError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

test("the newest version the host can run, in the range when one is given; prereleases only when named", () => {
  assert.is(chooseVersion("weather", listed, undefined, "0.1.0").version, "1.2.0", "2.0.0 needs host API ^9.0.0");
  assert.is(chooseVersion("weather", listed, "~1.1", "0.1.0").version, "1.1.0");
  assert.is(chooseVersion("weather", listed, "^1", "0.1.0").version, "1.2.0");
  assert.is(chooseVersion("weather", listed, "1.3.0-beta.1", "0.1.0").version, "1.3.0-beta.1");
  assert.is(chooseVersion("weather", listed, undefined, "9.1.0").version, "2.0.0");
});

test("no match lists what there is, and says when the host API is the reason", () => {
  assert.is(refusal(() => chooseVersion("weather", listed, "^3", "0.1.0")),
    `no version of "weather" matching ^3 in the registry; available: 2.0.0 (needs host API ^9.0.0), 1.3.0-beta.1, 1.2.0, 1.1.0, 1.0.0`);
  assert.match(refusal(() => chooseVersion("weather", listed, "^2", "0.1.0")), /^no version of "weather" matching \^2 runs on this host \(host API 0\.1\.0\)/);
});

test("<name>[@range] parses, paths do not read as names, bad input is named", () => {
  assert.equal(parseSpec("weather"), { name: "weather", range: undefined });
  assert.equal(parseSpec("weather@^1.2"), { name: "weather", range: "^1.2" });
  assert.ok(looksLikeSpec("weather@^1"));
  assert.not.ok(looksLikeSpec("./weather"));
  assert.not.ok(looksLikeSpec("weather-1.0.0.corral"));
  assert.throws(() => parseSpec("weather@soon"), /"soon" is not a semver range; e\.g\. weather@\^1\.2/);
  assert.throws(() => parseSpec("Weather"), /"Weather" is not a plugin name/);
});

test.run();
