/**
 * A temporary plugins folder holding one plugin folder, linked (not copied) from where its author
 * keeps it, so a host serves exactly that plugin and sees the author's edits: what `corral dev`,
 * `corral bench` and the test harness start their host on.
 */
import { chmod, mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { loadManifest } from "../manifest/manifest.ts";
import type { Manifest } from "../manifest/manifest.ts";

/** The linked folder and the temporary one around it. */
export interface PluginsFolderOfOne {
  readonly manifest: Manifest;
  /** The plugin folder's real path. */
  readonly dir: string;
  /** The temporary folder (holding `plugins/`); a host may keep its data in `<work>/data`. */
  readonly work: string;
  /** `<work>/plugins`, holding only the link to the plugin folder. */
  readonly pluginsDir: string;
  /** Removes the temporary folder (never the plugin folder). */
  remove(): Promise<void>;
}

/**
 * Links the plugin folder `folder` (relative to `cwd`) into a new temporary plugins folder.
 *
 * @throws CorralError MANIFEST_INVALID when `folder` is not a folder with a valid plugin.json.
 */
export async function pluginsFolderOfOne(folder: string, cwd: string): Promise<PluginsFolderOfOne> {
  const path = resolve(cwd, folder);
  if (!(await stat(path).catch(() => undefined))?.isDirectory()) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID, `${path} is not a folder; give the folder of a plugin (the one with plugin.json; npx corral create makes one)`);
  }
  // Read first: a broken manifest is the author's first error and should be the one shown.
  const { manifest, dir } = await loadManifest(path);
  const work = await mkdtemp(join(tmpdir(), `corral-${manifest.name}-`));
  // As root an embedded Postgres in <work>/data runs as the OS user "postgres", which must pass through.
  if (process.getuid?.() === 0) await chmod(work, 0o711);
  const pluginsDir = join(work, "plugins");
  await mkdir(pluginsDir);
  await symlink(dir, join(pluginsDir, manifest.name));
  return { manifest, dir, work, pluginsDir, remove: () => rm(work, { recursive: true, force: true }) };
}
