/**
 * Asset compilation at plugin load: the manifest's `assets` entries bundled and minified with
 * esbuild (TypeScript/JavaScript bundled, CSS minified) into a folder the host serves as static
 * files. esbuild only parses the plugin's files; nothing of the plugin runs in the host.
 */
import { mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { build } from "esbuild";
import type { BuildFailure, Message, Plugin } from "esbuild";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { isInside } from "./lookup.ts";

export interface AssetBuildInput {
  /** The plugin's name, for messages. */
  readonly plugin: string;
  /** The plugin folder's real path. */
  readonly dir: string;
  /** plugin.json's path, for messages. */
  readonly manifestFile: string;
  /** The manifest's `assets`, relative to `dir`. */
  readonly entries: readonly string[];
  /** Emptied, then filled with the outputs. */
  readonly outDir: string;
  /**
   * Folders besides `dir` whose files a bundle may include: what the plugin's sandbox may read
   * anyway (the project's node_modules), so an asset can never publish a file it could not see.
   */
  readonly readableRoots: readonly string[];
}

export type AssetBuildResult =
  | { readonly ok: true; readonly outputs: readonly string[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: CorralError };

/** Images and fonts named in CSS `url()` (or imported) stay as written: serve them from static/. */
const LEFT_AS_WRITTEN = ["png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "woff", "woff2", "ttf", "otf", "eot"]
  .map((ext) => `*.${ext}`);

/** Output extension by entry extension. */
const OUTPUT_EXTENSION: Readonly<Record<string, string>> = {
  ts: "js", tsx: "js", mts: "js", js: "js", jsx: "js", mjs: "js", css: "css",
};

/**
 * The path an entry's output is served under, relative to /plugins/<name>/static/: a leading
 * "assets/" is dropped and script extensions become ".js". Pure.
 *
 * @example
 * ```ts
 * assetOutputPath("assets/app.ts");        // "app.js"
 * assetOutputPath("assets/admin/site.css"); // "admin/site.css"
 * assetOutputPath("src/widget.tsx");        // "src/widget.js"
 * ```
 */
export function assetOutputPath(entry: string): string {
  const trimmed = entry.replace(/^\.\//, "").replace(/^assets\//, "");
  const dot = trimmed.lastIndexOf(".");
  const ext = trimmed.slice(dot + 1);
  return `${trimmed.slice(0, dot)}.${OUTPUT_EXTENSION[ext] ?? ext}`;
}

/**
 * Bundles and minifies `entries` into `outDir`. Never throws: a failure comes back as a
 * CorralError ASSET_BUILD_FAILED naming the plugin, the file, the line and esbuild's message.
 */
export async function buildAssets(input: AssetBuildInput): Promise<AssetBuildResult> {
  try {
    await rm(input.outDir, { recursive: true, force: true });
    if (input.entries.length === 0) return { ok: true, outputs: [], warnings: [] };
    for (const [index, entry] of input.entries.entries()) await checkEntry(input, index, entry);
    const result = await build({
      entryPoints: input.entries.map((entry) => ({ in: entry, out: assetOutputPath(entry).replace(/\.[^./]+$/, "") })),
      absWorkingDir: input.dir,
      outdir: input.outDir,
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2020",
      // Hermetic: no tsconfig.json from the plugin or the folders above it changes the output.
      tsconfigRaw: {},
      external: LEFT_AS_WRITTEN,
      legalComments: "none",
      charset: "utf8",
      write: false,
      logLevel: "silent",
      plugins: [confine([input.dir, ...input.readableRoots], input.dir)],
    });
    const outputs: string[] = [];
    for (const file of result.outputFiles) {
      if (!isInside(input.outDir, file.path)) throw new Error(`esbuild wrote outside its folder: ${file.path}`);
      await mkdir(dirname(file.path), { recursive: true });
      await writeFile(file.path, file.contents);
      outputs.push(relative(input.outDir, file.path));
    }
    return { ok: true, outputs: outputs.sort(), warnings: result.warnings.map((w) => describe(w, input.dir)) };
  } catch (error) {
    if (error instanceof CorralError) return { ok: false, error };
    const messages = (error as Partial<BuildFailure>).errors?.map((m) => describe(m, input.dir)) ?? [(error as Error).message];
    return {
      ok: false,
      error: new CorralError(ErrorCode.ASSET_BUILD_FAILED,
        `plugin "${input.plugin}": its assets could not be built: ${messages.slice(0, 5).join("; ")}` +
        `${messages.length > 5 ? ` (and ${messages.length - 5} more)` : ""}; fix the file and restart the plugin`,
        { cause: error }),
    };
  }
}

/** Refuses an entry that is missing or leaves the plugin folder, in the manifest's own terms. */
async function checkEntry(input: AssetBuildInput, index: number, entry: string): Promise<void> {
  const fail = (why: string) => new CorralError(ErrorCode.ASSET_BUILD_FAILED,
    `${input.manifestFile}: /assets/${index}: "${entry}" ${why}; list files inside the plugin folder (${input.dir})`);
  if (isAbsolute(entry)) throw fail("is an absolute path");
  let real: string;
  try {
    real = await realpath(join(input.dir, entry));
  } catch {
    throw fail("does not exist");
  }
  if (!isInside(input.dir, real)) throw fail(`resolves to ${real}, outside the plugin folder`);
}

/**
 * An esbuild plugin that lets a bundle read only files inside `roots` (real paths, so a symlink
 * pointing out is caught): `import "/etc/passwd"` or a link to the host's secret must not end up
 * in a public file.
 */
function confine(roots: readonly string[], dir: string): Plugin {
  return {
    name: "corral-confine",
    setup(builder) {
      builder.onLoad({ filter: /.*/ }, async (args) => {
        if (args.namespace !== "file") return undefined;
        let real: string;
        try {
          real = await realpath(args.path);
        } catch {
          return undefined; // esbuild reports the missing file itself
        }
        if (roots.some((root) => isInside(root, real))) return undefined;
        return { errors: [{ text: `"${args.path}" is outside the plugin folder (${dir}); an asset may only import the plugin's own files and packages from node_modules` }] };
      });
    },
  };
}

/** "assets/app.ts:3:7: Expected ";" but found "}"" */
function describe(message: Message, dir: string): string {
  const where = message.location;
  if (where === null) return message.text;
  const file = isAbsolute(where.file) ? relative(dir, where.file) : where.file;
  return `${file}:${where.line}:${where.column + 1}: ${message.text}`;
}
