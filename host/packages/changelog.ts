/**
 * A package's changelog for its own version: the section of its CHANGELOG.md whose heading names
 * that version. Read from inside the package (so it is covered by the signature, like the code)
 * rather than typed at publish time; the registry stores it per version and shows it.
 *
 * Headings as written in practice are accepted: `## [1.2.0] - 2024-05-01` (Keep a Changelog),
 * `## 1.2.0`, `### v1.2.0 (2024-05-01)`. The section runs to the next heading of the same or a
 * higher level.
 */

/** The changelog file, at the plugin folder's top (any case: CHANGELOG.md, Changelog.md...). */
export const CHANGELOG_FILE = "CHANGELOG.md";

/** The longest changelog kept per version; a longer section is cut with a note. */
export const MAX_CHANGELOG_CHARS = 10_000;

const HEADING = /^(#{1,6})\s+(.*)$/;

/** The version a heading names: the first semver-looking word, without `v` or brackets. */
function headingVersion(text: string): string | undefined {
  return /\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\]?/.exec(text)?.[1];
}

/**
 * The section of `markdown` for `version`, trimmed; "" when no heading names it.
 *
 * @example
 * ```ts
 * sectionFor("# Changelog\n\n## [1.1.0]\n- Adds weather alerts.\n\n## [1.0.0]\n- First.\n", "1.1.0");
 * // "- Adds weather alerts."
 * ```
 */
export function sectionFor(markdown: string, version: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  let level = 0;
  const out: string[] = [];
  for (const line of lines) {
    const heading = HEADING.exec(line);
    if (level === 0) {
      if (heading !== null && headingVersion(heading[2]!) === version) level = heading[1]!.length;
      continue;
    }
    if (heading !== null && heading[1]!.length <= level) break;
    out.push(line);
  }
  const section = out.join("\n").trim();
  return section.length <= MAX_CHANGELOG_CHARS ? section : `${section.slice(0, MAX_CHANGELOG_CHARS)}\n[cut at ${MAX_CHANGELOG_CHARS} characters: see ${CHANGELOG_FILE}]`;
}

/** The changelog of `version` among a package's files (by path); "" without a CHANGELOG.md. */
export function changelogOf(files: ReadonlyMap<string, Buffer>, version: string): string {
  for (const [path, content] of files) {
    if (path.toLowerCase() === CHANGELOG_FILE.toLowerCase()) return sectionFor(content.toString("utf8"), version);
  }
  return "";
}
