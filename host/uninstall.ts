/**
 * Uninstalling a plugin, on the host that was asked: after the plugin manager has recorded the
 * uninstall for every host and stopped it, move its folder out of the plugins folder (into
 * `<data dir>/uninstalled/`, so nothing is lost and it can be installed again from there), and
 * keep its database unless asked to purge, which drops its schema and role.
 */
import { cp, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { HostDatabase } from "./db/connect.ts";
import type { PluginStore } from "./db/plugin-store.ts";
import { dropPluginDatabase } from "./db/provision.ts";
import type { Logger } from "./logger.ts";

export interface UninstallResult {
  readonly name: string;
  /** Where the plugin's folder went. */
  readonly movedTo: string;
  /** True when its schema and role were dropped. */
  readonly purged: boolean;
}

/**
 * What is left once the plugin manager has uninstalled a plugin (recorded for every host, stopped
 * and unloaded here): its folder is moved out of the plugins folder, and with `purge` its schema
 * and role are dropped.
 */
export async function uninstallPlugin(input: {
  readonly name: string;
  readonly pluginDir: string;
  readonly hostDb: HostDatabase;
  readonly store: PluginStore;
  readonly dataDir: string;
  readonly purge: boolean;
  readonly log: Logger;
}): Promise<UninstallResult> {
  const { name, log } = input;
  const movedTo = join(input.dataDir, "uninstalled", `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  await mkdir(join(input.dataDir, "uninstalled"), { recursive: true });
  await move(input.pluginDir, movedTo);
  if (input.purge) {
    await dropPluginDatabase(input.hostDb.adminPool, name, (await input.store.recordedDatabase(name))?.role);
    await input.store.forgetDatabase(name);
  }
  log.info("plugin folder moved aside", { movedTo, purged: input.purge, data: input.purge ? "dropped" : "kept" });
  return { name, movedTo, purged: input.purge };
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    // Across file systems rename fails with EXDEV: copy, then remove.
    if ((error as { code?: string }).code !== "EXDEV") throw error;
    await cp(from, to, { recursive: true });
    await rm(from, { recursive: true, force: true });
  }
}
