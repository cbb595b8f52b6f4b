/**
 * Finds plugin folders (those holding a plugin.json) and loads their manifests. A folder whose
 * manifest is broken is reported and skipped; it never stops the others from loading.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import { loadManifest } from "./manifest/manifest.ts";
import type { LoadedManifest } from "./manifest/manifest.ts";

/** A plugin folder that could not be loaded, as shown in /health. */
export interface InvalidPlugin {
  readonly dir: string;
  readonly code: string;
  readonly message: string;
}

export interface Discovery {
  readonly found: readonly LoadedManifest[];
  readonly invalid: readonly InvalidPlugin[];
}

/**
 * Loads every plugin folder directly under `pluginsDir`, in name order. Two folders may declare
 * the same plugin name here: the resolver (plugins/resolve-load-order.ts) picks one and says why.
 * A symlink to a folder counts as that folder (`corral dev` and the test harness serve a plugin
 * from where its author keeps it); the manifest's `dir` is the real path.
 */
export async function discoverPlugins(pluginsDir: string): Promise<Discovery> {
  let entries;
  try {
    entries = await readdir(pluginsDir, { withFileTypes: true });
  } catch (error) {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `cannot read the plugins folder ${pluginsDir}: ${(error as Error).message}; set CORRAL_PLUGINS_DIR to a folder of plugins`);
  }
  const found: LoadedManifest[] = [];
  const invalid: InvalidPlugin[] = [];
  const folders = entries.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith(".")).map((e) => e.name).sort();
  for (const folder of folders) {
    const dir = join(pluginsDir, folder);
    if (!(await isFolder(dir))) continue; // a symlink to a file, or a dangling one
    if (!(await hasManifest(dir))) continue; // not a plugin folder
    try {
      found.push(await loadManifest(dir));
    } catch (error) {
      invalid.push({
        dir,
        code: error instanceof CorralError ? error.code : ErrorCode.MANIFEST_INVALID,
        message: (error as Error).message,
      });
    }
  }
  return { found, invalid };
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

async function hasManifest(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).includes("plugin.json");
  } catch {
    return false;
  }
}
