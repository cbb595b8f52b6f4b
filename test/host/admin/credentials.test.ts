/** Password hashing and secrets (host/admin/passwords.ts, secrets.ts), and audit detail redaction. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { auditDetails, parseAuditQuery } from "../../../host/admin/audit-log.ts";
import { hashPassword, passwordProblem, verifyPassword } from "../../../host/admin/passwords.ts";
import { newApiToken, secretHash, sessionCsrfToken } from "../../../host/admin/secrets.ts";

test("a password hash is salted, carries its parameters, and verifies only the right password", async () => {
  const a = await hashPassword("a long enough password");
  const b = await hashPassword("a long enough password");
  assert.not.equal(a, b, "two salts");
  assert.match(a, /^scrypt\$32768\$8\$1\$/);
  assert.not.ok(a.includes("a long enough password"));
  assert.ok(await verifyPassword("a long enough password", a));
  assert.not.ok(await verifyPassword("a long enough passworD", a));
  assert.not.ok(await verifyPassword("anything", "not a hash"));
  assert.not.ok(await verifyPassword("anything", "scrypt$x$8$1$AAAA$AAAA"));
});

test("password rules say what is wrong", () => {
  assert.is(passwordProblem("short"), "password must have at least 10 characters, got 5");
  assert.is(passwordProblem(42), "password must be a string");
  assert.is(passwordProblem("x".repeat(2000)), "password must have at most 1024 characters, got 2000");
  assert.is(passwordProblem("long enough!"), undefined);
});

test("API tokens are 256-bit, prefixed, and hashed with SHA-256; a session's CSRF token depends on its id", () => {
  const token = newApiToken();
  assert.match(token, /^corral_[A-Za-z0-9_-]{43}$/);
  assert.not.equal(newApiToken(), token);
  assert.match(secretHash(token), /^[0-9a-f]{64}$/);
  assert.is(secretHash(token), secretHash(token));
  assert.is(sessionCsrfToken("s1"), sessionCsrfToken("s1"));
  assert.not.equal(sessionCsrfToken("s1"), sessionCsrfToken("s2"));
});

test("audit details redact secrets, cut long values and keep the rest", () => {
  assert.equal(auditDetails({
    name: "ann", password: "p", newPassword: "p", token: "t", _csrf: "c", apiSecret: "s", role: "viewer", n: 3, long: "y".repeat(600),
  }), {
    name: "ann", password: "[redacted]", newPassword: "[redacted]", token: "[redacted]", _csrf: "[redacted]", apiSecret: "[redacted]",
    role: "viewer", n: 3, long: "y".repeat(500) + "…",
  });
});

test("audit queries are checked by name", () => {
  assert.equal(parseAuditQuery({ limit: "10", before: "42", outcome: "failed", actor: "ann" }), { limit: 10, before: "42", outcome: "failed", actor: "ann" });
  assert.throws(() => parseAuditQuery({ limit: "x" }), /\?limit= must be a whole number from 1 to 500, got "x"/);
  assert.throws(() => parseAuditQuery({ before: "1; drop" }), /\?before= must be an entry id/);
  assert.throws(() => parseAuditQuery({ since: "yesterday" }), /\?since= must be an ISO 8601 time/);
  assert.throws(() => parseAuditQuery({ outcome: "maybe" }), /\?outcome= must be "ok" or "failed"/);
});

test.run();
