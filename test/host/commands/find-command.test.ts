// Unit tests of finding a plugin's command among discovered plugins, and of the errors that list
// what does exist.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { declaredCommands, findPluginCommand } from "../../../host/commands/find-command.ts";
import type { Discovery } from "../../../host/discovery.ts";
import type { LoadedManifest } from "../../../host/manifest/manifest.ts";

function loaded(name: string, commands: Record<string, { description?: string }>): LoadedManifest {
  return { manifest: { name, commands }, dir: `/p/${name}`, file: `/p/${name}/plugin.json` } as unknown as LoadedManifest;
}

const discovery: Discovery = {
  found: [loaded("notes", { import: {}, export: { description: "prints notes" } }), loaded("hello", {})],
  invalid: [{ dir: "/p/broken", code: ErrorCode.MANIFEST_INVALID, message: "/p/broken/plugin.json: /version: expected a semver version" }],
};

function thrown(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a throw");
}

test("a declared command is found", () => {
  assert.is(findPluginCommand(discovery, "/p", "notes", "export").manifest.name, "notes");
});

test("an undeclared command is COMMAND_UNKNOWN listing the plugin's commands, or saying it has none", () => {
  const error = thrown(() => findPluginCommand(discovery, "/p", "notes", "purge"));
  assert.is(error.code, ErrorCode.COMMAND_UNKNOWN);
  assert.is(error.message, 'plugin "notes" has no command "purge"; its commands: notes:export, notes:import');
  const none = thrown(() => findPluginCommand(discovery, "/p", "hello", "x"));
  assert.match(none.message, /it declares none \(commands are declared under "commands" in \/p\/hello\/plugin\.json\)/);
  assert.is(thrown(() => findPluginCommand(discovery, "/p", "notes", "constructor")).code, ErrorCode.COMMAND_UNKNOWN);
});

test("an unknown plugin is PLUGIN_NOT_FOUND listing the plugins; a broken one gives its manifest error", () => {
  const missing = thrown(() => findPluginCommand(discovery, "/p", "nosuch", "x"));
  assert.is(missing.code, ErrorCode.PLUGIN_NOT_FOUND);
  assert.is(missing.message, 'no plugin named "nosuch" in /p; plugins: hello, notes');
  const broken = thrown(() => findPluginCommand(discovery, "/p", "broken", "x"));
  assert.is(broken.code, ErrorCode.MANIFEST_INVALID);
  assert.match(broken.message, /\/p\/broken\/plugin\.json: \/version/);
  const empty = thrown(() => findPluginCommand({ found: [], invalid: [] }, "/p", "x", "y"));
  assert.match(empty.message, /it holds no plugins \(set CORRAL_PLUGINS_DIR to your plugins folder\)/);
});

test("declaredCommands lists every command by plugin and name, with descriptions", () => {
  assert.equal(declaredCommands(discovery), [
    { plugin: "notes", command: "export", description: "prints notes" },
    { plugin: "notes", command: "import", description: undefined },
  ]);
});

test.run();
