/** Tests for the policy file's `http` section: defaults, overrides, and refusals of bad values. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../../schemas/errors.ts";
import { DEFAULT_SECURE_HEADERS } from "../../../../host/http/middleware/http-policy.ts";
import { defaultPolicy, loadPolicy } from "../../../../host/policy.ts";
import { rejection } from "../../../helpers/assert.ts";

let root = "";
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), "corral-http-policy-"));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function policyFile(data: unknown): Promise<string> {
  const file = join(root, `policy-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(data));
  return file;
}

test("the default http section: access log, secure headers without HSTS, CSRF, compression, a 64 MiB cache", () => {
  const { http } = defaultPolicy();
  assert.is(http.accessLog, true);
  assert.equal(http.secureHeaders, DEFAULT_SECURE_HEADERS);
  assert.is(http.secureHeaders["strict-transport-security"], undefined);
  assert.equal(http.csrf, { enabled: true, trustedOrigins: [], secureCookie: false });
  assert.equal(http.compression, { enabled: true, minBytes: 1024 });
  assert.equal(http.responseCache, { maxBytes: 64 * 1024 * 1024, maxEntryBytes: 1024 * 1024 });
  assert.ok(Object.isFrozen(http.csrf));
});

test("a policy file's http section replaces defaults field by field; a secure header can be added, changed or removed", async () => {
  const policy = await loadPolicy(await policyFile({
    http: {
      accessLog: false,
      secureHeaders: { "Strict-Transport-Security": "max-age=31536000", "x-frame-options": false, "referrer-policy": "no-referrer" },
      csrf: { trustedOrigins: ["https://app.example"] },
      responseCache: { maxBytes: 0 },
    },
  }));
  const { http } = policy;
  assert.is(http.accessLog, false);
  assert.is(http.secureHeaders["strict-transport-security"], "max-age=31536000");
  assert.is(http.secureHeaders["x-frame-options"], undefined);
  assert.is(http.secureHeaders["referrer-policy"], "no-referrer");
  assert.is(http.secureHeaders["x-content-type-options"], "nosniff");
  assert.equal(http.csrf, { enabled: true, trustedOrigins: ["https://app.example"], secureCookie: false });
  assert.equal(http.responseCache, { maxBytes: 0, maxEntryBytes: 1024 * 1024 });
  assert.equal(http.compression, { enabled: true, minBytes: 1024 });
});

test("bad http values are refused with the field and what it expects", async () => {
  const error = await rejection(loadPolicy(await policyFile({
    http: {
      accessLog: "yes",
      secureHeaders: { "bad name": "x", "x-ok": "line\nbreak" },
      csrf: { trustedOrigins: ["app.example"], extra: 1 },
      compression: { minBytes: -1 },
      responseCache: { maxBytes: "big" },
    },
  })));
  assert.is(error.code, ErrorCode.POLICY_INVALID);
  assert.match(error.message, /\/http\/accessLog: expected true or false/);
  assert.match(error.message, /header name like "permissions-policy"/);
  assert.match(error.message, /\/http\/secureHeaders\/x-ok: expected a header value/);
  assert.match(error.message, /\/http\/csrf\/trustedOrigins\/0: expected an origin like/);
  assert.match(error.message, /\/http\/csrf/);
  assert.match(error.message, /\/http\/compression\/minBytes: expected an integer from 0/);
  assert.match(error.message, /\/http\/responseCache\/maxBytes: expected an integer from 0/);
});

test.run();
