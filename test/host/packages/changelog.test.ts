/** A package's changelog for its version: the CHANGELOG.md section whose heading names it. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { changelogOf, MAX_CHANGELOG_CHARS, sectionFor } from "../../../host/packages/changelog.ts";

const KEEP_A_CHANGELOG = `# Changelog

## [Unreleased]
- Nothing yet.

## [1.1.0] - 2024-05-01
### Added
- Weather alerts (needs api.weather.example:443).

### Fixed
- Rounding.

## [1.0.0] - 2024-04-01
- First release.
`;

test("Keep a Changelog: the section runs to the next heading of its level, sub-headings included", () => {
  assert.is(sectionFor(KEEP_A_CHANGELOG, "1.1.0"), "### Added\n- Weather alerts (needs api.weather.example:443).\n\n### Fixed\n- Rounding.");
  assert.is(sectionFor(KEEP_A_CHANGELOG, "1.0.0"), "- First release.");
});

test("plain and v-prefixed headings, CRLF line ends, other levels", () => {
  assert.is(sectionFor("## 2.0.0\r\nBreaking.\r\n## 1.0.0\r\nOld.\r\n", "2.0.0"), "Breaking.");
  assert.is(sectionFor("# History\n### v0.3.0 (2024-01-02)\nSmaller.\n### v0.2.0\n", "0.3.0"), "Smaller.");
  assert.is(sectionFor("## 1.0.0-beta.1\nBeta.\n## 1.0.0\nFinal.\n", "1.0.0"), "Final.", "a prerelease heading is another version");
});

test("no heading for the version, or no changelog at all: empty", () => {
  assert.is(sectionFor(KEEP_A_CHANGELOG, "9.9.9"), "");
  assert.is(sectionFor("## 1.10.0\nx\n", "1.1.0"), "", "1.10.0 is not 1.1.0");
  assert.is(changelogOf(new Map([["mod.ts", Buffer.from("")]]), "1.0.0"), "");
});

test("the file is found in any case; a long section is cut with a note", () => {
  assert.is(changelogOf(new Map([["Changelog.md", Buffer.from("## 1.0.0\nHi.\n")]]), "1.0.0"), "Hi.");
  const long = sectionFor(`## 1.0.0\n${"x".repeat(MAX_CHANGELOG_CHARS + 50)}\n`, "1.0.0");
  assert.ok(long.startsWith("x".repeat(MAX_CHANGELOG_CHARS)));
  assert.match(long, /cut at 10000 characters: see CHANGELOG\.md\]$/);
});

test.run();
