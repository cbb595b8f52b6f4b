/**
 * A plugin folder copied for one test with its manifest edited, e.g. a net grant moved to the
 * ephemeral port of a local upstream: a fixed port in a shipped manifest may be taken by
 * another program, or by a test run beside this one.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** Edits the parsed plugin.json in place (a test's manifest is loose JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ManifestEdit = (manifest: any) => void;

/** Rewrites `<dir>/plugin.json` through `edit`. */
export async function editManifest(dir: string, edit: ManifestEdit): Promise<void> {
  const path = join(dir, "plugin.json");
  const manifest = JSON.parse(await readFile(path, "utf8"));
  edit(manifest);
  await writeFile(path, JSON.stringify(manifest, null, 2));
}

/**
 * Copies the plugin folder `source` into a new temporary folder and edits its manifest; answers
 * the copy's path (same folder name). Remove its parent folder when done.
 */
export async function copyPluginWith(source: string, edit: ManifestEdit): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), `corral-${basename(source)}-`)), basename(source));
  await cp(source, dir, { recursive: true });
  await editManifest(dir, edit);
  return dir;
}
