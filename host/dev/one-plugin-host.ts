/**
 * A real host, in this process, that serves one plugin folder from where its author keeps it
 * (plugins-folder-of-one.ts): the shared start of `corral dev` and the integration test harness
 * (host/testing/harness.ts).
 */
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startHost, type RunningHost } from "../host.ts";
import type { Logger } from "../logger.ts";
import type { Manifest } from "../manifest/manifest.ts";
import { pluginsFolderOfOne } from "./plugins-folder-of-one.ts";

/** What {@linkcode startOnePluginHost} needs. */
export interface OnePluginHostOptions {
  /** The plugin folder (the one holding plugin.json), absolute or relative to `cwd`. */
  readonly folder: string;
  readonly cwd?: string;
  /** A Postgres superuser URL; the embedded Postgres (in the data folder) when missing. */
  readonly databaseUrl?: string;
  /** The host policy: a file, or the policy itself (written to a file of the host's own). */
  readonly policy?: string | Readonly<Record<string, unknown>>;
  /** The environment plugins' granted variables come from (only granted ones reach the plugin). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Default 127.0.0.1: development hosts are not for the network. */
  readonly hostname?: string;
  /** Where the host keeps its state; a temporary folder removed by `close()` when missing. */
  readonly dataDir?: string;
  /** Development mode: hot reload on, unsigned packages allowed. */
  readonly dev?: boolean;
  readonly shutdownGraceMs?: number;
}

/** A started host serving one plugin. */
export interface OnePluginHost {
  readonly host: RunningHost;
  /** The plugin's manifest as read at start. */
  readonly manifest: Manifest;
  /** The plugin folder's real path. */
  readonly dir: string;
  /** The host's data folder (a temporary one unless given). */
  readonly dataDir: string;
  /** Stops the host (no plugin process is left) and removes the temporary folders. */
  close(reason: string): Promise<void>;
}

/**
 * Starts a host with just the plugin at `options.folder` and waits until the plugin has started
 * or failed its first start (see the plugin's state in `host.health()`).
 *
 * @throws CorralError MANIFEST_INVALID when the folder holds no valid plugin.json (nothing starts);
 *   DB_UNAVAILABLE and the host's other start errors.
 */
export async function startOnePluginHost(options: OnePluginHostOptions): Promise<OnePluginHost> {
  const cwd = options.cwd ?? process.cwd();
  const folder = await pluginsFolderOfOne(options.folder, cwd);
  const dataDir = options.dataDir === undefined ? join(folder.work, "data") : resolve(cwd, options.dataDir);
  let host: RunningHost | undefined;
  try {
    let policyFile: string | undefined;
    if (typeof options.policy === "string") policyFile = resolve(cwd, options.policy);
    else if (options.policy !== undefined) {
      policyFile = join(folder.work, "policy.json");
      await writeFile(policyFile, JSON.stringify(options.policy));
    }
    host = await startHost({
      port: options.port ?? 0,
      hostname: options.hostname ?? "127.0.0.1",
      pluginsDir: folder.pluginsDir,
      dataDir,
      ...(policyFile === undefined ? {} : { policyFile }),
      ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
      logger: options.logger,
      env: options.env,
      shutdownGraceMs: options.shutdownGraceMs ?? 3000,
      dev: options.dev === true,
    });
    await host.started;
  } catch (error) {
    await host?.close("start failed").catch(() => undefined);
    await folder.remove();
    throw error;
  }
  const running = host;
  let closing: Promise<void> | undefined;
  return {
    host: running,
    manifest: folder.manifest,
    dir: folder.dir,
    dataDir,
    close(reason: string) {
      closing ??= (async () => {
        await running.close(reason);
        await folder.remove();
      })();
      return closing;
    },
  };
}
