/**
 * The one rule for template paths, shared by the SDK (names a plugin renders) and the host (paths
 * `templates.get` serves): a relative path of plain segments inside a templates folder, ending in
 * `.hbs`. No `..`, no `.`, no dotfile or dot-folder, no absolute path, no backslash, no control
 * character. Deny by default: whatever is not such a path is refused before any file is touched.
 *
 * @module
 */

/** The file extension every template has. */
export const TEMPLATE_EXTENSION = ".hbs";

/** Longest template path accepted, in characters. */
export const MAX_TEMPLATE_PATH_LENGTH = 256;

/**
 * Why `path` is not a template path, or `undefined` when it is one.
 *
 * @example
 * ```ts
 * templatePathProblem("notes/list.hbs"); // undefined
 * templatePathProblem("../secret.hbs");   // 'segment ".." is not allowed'
 * ```
 */
export function templatePathProblem(path: string): string | undefined {
  if (typeof path !== "string" || path === "") return "it is empty";
  if (path.length > MAX_TEMPLATE_PATH_LENGTH) return `it is longer than ${MAX_TEMPLATE_PATH_LENGTH} characters`;
  if (!path.endsWith(TEMPLATE_EXTENSION)) return `it does not end in ${TEMPLATE_EXTENSION}`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return "it holds a backslash or a control character";
  if (path.startsWith("/")) return "it is absolute";
  for (const segment of path.split("/")) {
    if (segment === "") return "it has an empty segment";
    if (segment === "." || segment === "..") return `segment "${segment}" is not allowed`;
    if (segment.startsWith(".")) return `segment "${segment}" is hidden (starts with ".")`;
  }
  return undefined;
}

/**
 * A template name as authors write it (`"notes/list"` or `"notes/list.hbs"`) -> its path inside
 * `templates/` (`"notes/list.hbs"`), or `undefined` when it is not a safe path.
 *
 * @example
 * ```ts
 * templatePathOf("notes/list"); // "notes/list.hbs"
 * templatePathOf("/etc/passwd"); // undefined
 * ```
 */
export function templatePathOf(name: string): string | undefined {
  if (typeof name !== "string") return undefined;
  const path = name.endsWith(TEMPLATE_EXTENSION) ? name : name + TEMPLATE_EXTENSION;
  return templatePathProblem(path) === undefined ? path : undefined;
}
