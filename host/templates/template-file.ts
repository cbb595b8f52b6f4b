/**
 * Reads one template file from a templates folder, safely: the path must pass the shared rule
 * (schemas/template-path.ts), and the file it leads to, symbolic links resolved, must be a
 * regular file inside the folder that is not hidden. A missing file (or folder) is `null`.
 */
import { realpath, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { templatePathProblem } from "../../schemas/template-path.ts";

/** Largest template file served: templates are markup, not data. */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

/** A template's source and a version that changes with the file. */
export interface TemplateFileContent {
  readonly source: string;
  /** `<mtime ms>-<size>`: informational (logs, tests); invalidation comes from the watcher. */
  readonly version: string;
}

/**
 * The template `path` inside `root`, or null when there is none.
 *
 * @throws {CorralError} CALL_DENIED for a path that breaks the rule or a link that leaves `root`;
 *   CALL_FAILED for a file over {@linkcode MAX_TEMPLATE_BYTES} or that cannot be read.
 */
export async function readTemplateFile(root: string, path: string, maxBytes = MAX_TEMPLATE_BYTES): Promise<TemplateFileContent | null> {
  const problem = templatePathProblem(path);
  if (problem !== undefined) {
    throw new CorralError(ErrorCode.CALL_DENIED, `template path ${JSON.stringify(String(path).slice(0, 300))} is refused: ${problem}; use a relative path inside templates/ ending in .hbs`);
  }
  const realRoot = await realOrNull(root);
  if (realRoot === null) return null;
  const real = await realOrNull(join(realRoot, path));
  if (real === null) return null;
  const inside = relative(realRoot, real);
  if (inside === "" || inside.startsWith("..") || inside.startsWith(sep) || inside.split(sep).some((s) => s.startsWith("."))) {
    throw new CorralError(ErrorCode.CALL_DENIED, `template "${path}" leads outside its templates folder or to a hidden file (a symbolic link); templates must be files inside the folder`);
  }
  const info = await stat(real);
  if (!info.isFile()) return null;
  if (info.size > maxBytes) {
    throw new CorralError(ErrorCode.CALL_FAILED, `template "${path}" is ${info.size} bytes; a template may be at most ${maxBytes} bytes`);
  }
  return { source: await readFile(real, "utf8"), version: `${Math.trunc(info.mtimeMs)}-${info.size}` };
}

async function realOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new CorralError(ErrorCode.CALL_FAILED, `template folder could not be read: ${code ?? (error as Error).message}`);
  }
}
