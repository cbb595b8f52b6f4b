/** Tests for the pure static-path resolver: what may be looked up, what is refused and why. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { resolveRelativePath, resolveRequestPath } from "../../../host/static/resolve-path.ts";

test("plain paths resolve to their decoded segments", () => {
  assert.equal(resolveRequestPath("css/site.css"), { ok: true, path: "css/site.css", segments: ["css", "site.css"] });
  assert.equal(resolveRequestPath("img/my%20logo.png"), { ok: true, path: "img/my logo.png", segments: ["img", "my logo.png"] });
  assert.equal(resolveRequestPath("caf%C3%A9.txt"), { ok: true, path: "café.txt", segments: ["café.txt"] });
});

test("a fingerprinted name carries the original path and the hash", () => {
  assert.equal(resolveRequestPath("css/site.3f2a9c1b.css"), {
    ok: true, path: "css/site.3f2a9c1b.css", segments: ["css", "site.3f2a9c1b.css"],
    fingerprint: { path: "css/site.css", hash: "3f2a9c1b" },
  });
});

// [what, encoded request path, status, words the reason must contain]
const REFUSED: Array<[string, string, 403 | 404, string]> = [
  ["parent segment", "../plugin.json", 403, "traversal"],
  ["parent segment in the middle", "css/../../mod.ts", 403, "traversal"],
  ["dot segment", "./site.css", 403, "traversal"],
  ["encoded parent segment", "%2e%2e/mod.ts", 403, "traversal"],
  ["encoded parent segment, upper case", "%2E%2E/mod.ts", 403, "traversal"],
  ["half-encoded parent segment", ".%2e/mod.ts", 403, "traversal"],
  ["encoded slash", "..%2fplugin.json", 403, "encoded separator"],
  ["encoded slash, upper case", "css%2F..%2F..%2Fmod.ts", 403, "encoded separator"],
  ["encoded backslash", "..%5cplugin.json", 403, "encoded separator"],
  ["double-encoded parent segment", "%252e%252e/mod.ts", 403, "double encoding"],
  ["double-encoded slash", "..%252fmod.ts", 403, "double encoding"],
  ["raw backslash", "..\\plugin.json", 403, "backslash"],
  ["NUL byte", "site.css%00.png", 403, "NUL"],
  ["control character", "site%0a.css", 403, "control"],
  ["absolute path", "/etc/passwd", 403, "absolute"],
  ["drive letter", "C:/Windows/win.ini", 403, "drive"],
  ["empty segment", "css//site.css", 403, "empty segment"],
  ["malformed encoding", "site%zz.css", 403, "percent-encoding"],
  ["truncated encoding", "site%e2%82.css", 403, "percent-encoding"],
  ["over-long path", "a/".repeat(600) + "b", 403, "longer than"],
  ["dotfile", ".env", 404, "dotfiles"],
  ["encoded dotfile", "%2eenv", 404, "dotfiles"],
  ["dot-folder", ".git/config", 404, "dotfiles"],
  ["dot-folder deeper", "css/.cache/site.css", 404, "dotfiles"],
  ["the manifest", "plugin.json", 404, "manifest"],
  ["the manifest in another case", "PLUGIN.JSON", 404, "manifest"],
  ["the manifest in a folder", "sub/plugin.json", 404, "manifest"],
  ["the folder itself", "", 404, "folders are not listed"],
  ["a folder", "css/", 404, "folder"],
];

for (const [what, path, status, words] of REFUSED) {
  test(`refuses ${what} (${JSON.stringify(path.slice(0, 40))}) with ${status}`, () => {
    const result = resolveRequestPath(path);
    assert.is(result.ok, false, JSON.stringify(result));
    if (result.ok) return;
    assert.is(result.status, status, result.reason);
    assert.ok(result.reason.includes(words), `expected ${JSON.stringify(words)} in ${JSON.stringify(result.reason)}`);
  });
}

test("a fingerprint of the manifest is resolved, so the lookup checks the original path too", () => {
  const result = resolveRequestPath("plugin.3f2a9c1b.json");
  assert.ok(result.ok && result.fingerprint?.path === "plugin.json");
  assert.is(resolveRelativePath(result.ok ? result.fingerprint!.path : "").ok, false);
});

test("a decoded relative path (static_url's argument) follows the same rules", () => {
  assert.equal(resolveRelativePath("css/site.css"), { ok: true, path: "css/site.css", segments: ["css", "site.css"] });
  assert.equal(resolveRelativePath("/css/site.css"), { ok: true, path: "css/site.css", segments: ["css", "site.css"] });
  assert.equal(resolveRelativePath("my logo.png").ok, true);
  for (const bad of ["../mod.ts", "a/../../b", ".env", "plugin.json", "a\\b", "a\u0000b", "100%.txt", "//etc/passwd"]) {
    assert.is(resolveRelativePath(bad).ok, false, bad);
  }
});

test.run();
