/** Unit tests of the auth plugin's pure parts: password hashing, tokens, cookies, input checks. @module */

import { ok, strictEqual } from "node:assert/strict";
import { hashPassword, newToken, tokenHash, verifyPassword } from "./crypto.ts";
import { clearedCookie, readCookie, sessionCookie } from "./cookies.ts";
import { nameProblem, passwordProblem, roleProblem, safeNext } from "./validate.ts";

Deno.test("a password verifies against its scrypt hash, and a wrong one does not", async () => {
  const stored = await hashPassword("correct horse");
  ok(stored.startsWith("scrypt$16384$8$1$"), stored);
  ok(!stored.includes("correct horse"));
  ok(await verifyPassword("correct horse", stored));
  ok(!await verifyPassword("correct horsE", stored));
  ok(!await verifyPassword("correct horse", "md5$abc"), "a malformed hash never matches");
  // Salted: the same password hashes differently twice.
  ok(stored !== await hashPassword("correct horse"));
});

Deno.test("tokens are random, and only their hash is stored", () => {
  const a = newToken(), b = newToken();
  strictEqual(a.length, 43);
  ok(a !== b);
  strictEqual(tokenHash(a), tokenHash(a));
  ok(tokenHash(a) !== a);
});

Deno.test("the session cookie is HttpOnly and SameSite=Lax, Secure only over TLS", () => {
  const plain = sessionCookie("t", 60, false);
  ok(plain.includes("HttpOnly") && plain.includes("SameSite=Lax") && !plain.includes("Secure"), plain);
  ok(sessionCookie("t", 60, true).endsWith("; Secure"));
  ok(clearedCookie(false).includes("Max-Age=0"));
  strictEqual(readCookie("a=1; corral_session=abc; b=2", "corral_session"), "abc");
  strictEqual(readCookie("a=1", "corral_session"), undefined);
});

Deno.test("names, passwords and roles are checked, and next never leaves the host", () => {
  strictEqual(nameProblem("ada"), undefined);
  ok(nameProblem("a") !== undefined && nameProblem("a b") !== undefined);
  strictEqual(passwordProblem("12345678"), undefined);
  ok(passwordProblem("short") !== undefined);
  strictEqual(roleProblem("admin"), undefined);
  ok(roleProblem("Admin") !== undefined);
  strictEqual(safeNext("/plugins/admin/"), "/plugins/admin/");
  strictEqual(safeNext("//evil.example/"), "/plugins/auth/");
  strictEqual(safeNext("https://evil.example/"), "/plugins/auth/");
  strictEqual(safeNext("/\\evil.example"), "/plugins/auth/");
  strictEqual(safeNext(undefined), "/plugins/auth/");
});
