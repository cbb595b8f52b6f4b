/**
 * Finds the plugin and command a `corral run` names among the discovered plugin folders, or says
 * precisely why it cannot: no such plugin (listing the plugins), a plugin whose manifest is
 * broken (its manifest error), or a command its manifest does not declare (listing its commands).
 */
import { basename } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Discovery } from "../discovery.ts";
import type { LoadedManifest } from "../manifest/manifest.ts";

/** One command a plugin declares, as `corral commands` lists it. */
export interface DeclaredCommand {
  readonly plugin: string;
  readonly command: string;
  readonly description: string | undefined;
}

/**
 * The loaded manifest of `plugin` when it declares `command`.
 *
 * @throws {CorralError} PLUGIN_NOT_FOUND, COMMAND_UNKNOWN, or the folder's own manifest error
 *   (MANIFEST_INVALID, POLICY_DENIED) when a folder of that name could not be loaded.
 */
export function findPluginCommand(discovery: Discovery, pluginsDir: string, plugin: string, command: string): LoadedManifest {
  const loaded = findPlugin(discovery, pluginsDir, plugin);
  const declared = Object.keys(loaded.manifest.commands).sort();
  if (!Object.hasOwn(loaded.manifest.commands, command)) {
    throw new CorralError(ErrorCode.COMMAND_UNKNOWN,
      `plugin "${plugin}" has no command "${command}"; ` +
      (declared.length === 0
        ? `it declares none (commands are declared under "commands" in ${loaded.file})`
        : `its commands: ${declared.map((name) => `${plugin}:${name}`).join(", ")}`));
  }
  return loaded;
}

/**
 * The loaded manifest of `plugin`.
 *
 * @throws {CorralError} PLUGIN_NOT_FOUND listing the plugins, or the manifest error of a folder
 *   named `plugin` that could not be loaded.
 */
export function findPlugin(discovery: Discovery, pluginsDir: string, plugin: string): LoadedManifest {
  const loaded = discovery.found.find((candidate) => candidate.manifest.name === plugin);
  if (loaded !== undefined) return loaded;
  // A broken manifest has no name to go by; its folder's name is the best guess, and usually right.
  const broken = discovery.invalid.find((entry) => basename(entry.dir) === plugin);
  if (broken !== undefined) {
    throw new CorralError(broken.code as CorralError["code"], broken.message);
  }
  const names = discovery.found.map((candidate) => candidate.manifest.name).sort();
  throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND,
    `no plugin named "${plugin}" in ${pluginsDir}; ` +
    (names.length === 0 ? "it holds no plugins (set CORRAL_PLUGINS_DIR to your plugins folder)" : `plugins: ${names.join(", ")}`));
}

/** Every command the loaded plugins declare, by plugin then command name. */
export function declaredCommands(discovery: Discovery): DeclaredCommand[] {
  return discovery.found
    .flatMap(({ manifest }) => Object.entries(manifest.commands).map(([command, { description }]) => ({
      plugin: manifest.name,
      command,
      description,
    })))
    .sort((a, b) => a.plugin.localeCompare(b.plugin) || a.command.localeCompare(b.command));
}
