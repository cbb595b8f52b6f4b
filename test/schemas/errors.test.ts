/** Pins the error catalogue: stable, well-formed codes, each documented in docs/errors.md. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode, isErrorCode } from "../../schemas/errors.ts";

const DOC = resolve(import.meta.dirname, "../../docs/errors.md");

test("every code is CORRAL_E_ and upper case, and no two names share a code", () => {
  const codes = Object.values(ErrorCode);
  for (const code of codes) assert.match(code, /^CORRAL_E_[A-Z][A-Z_]*[A-Z]$/);
  assert.is(new Set(codes).size, codes.length);
});

test("every code has a row in the summary table and a section of its own in docs/errors.md", async () => {
  const doc = await readFile(DOC, "utf8");
  const missing = Object.values(ErrorCode).filter((code) => !doc.includes(`| \`${code}\` |`) || !doc.includes(`### ${code}\n`));
  assert.equal(missing, [], "codes missing from docs/errors.md");
});

test("docs/errors.md documents no code the catalogue lacks", async () => {
  const doc = await readFile(DOC, "utf8");
  const known = new Set<string>(Object.values(ErrorCode));
  const documented = [...doc.matchAll(/^### (CORRAL_E_[A-Z_]+)$/gm)].map((m) => m[1]!);
  assert.equal(documented.filter((code) => !known.has(code)), []);
});

test("only code and message cross the wire", () => {
  const error = new CorralError(ErrorCode.DEPENDENCY_CYCLE, "a -> b -> a", { cause: new Error("inner") });
  assert.equal(JSON.parse(JSON.stringify(error)), { code: "CORRAL_E_DEPENDENCY_CYCLE", message: "a -> b -> a" });
});

test("isErrorCode accepts exactly the catalogue's codes", () => {
  for (const code of Object.values(ErrorCode)) assert.ok(isErrorCode(code), code);
  for (const code of ["", "CORRAL_E_NOPE", "corral_e_csrf", "toString"]) assert.not.ok(isErrorCode(code), code);
});

test.run();
