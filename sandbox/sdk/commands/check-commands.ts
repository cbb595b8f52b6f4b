/**
 * `definePlugin({ commands })` validation: names as plugin.json allows them, each a `{ run }`
 * with an optional string description.
 *
 * @module
 */

import { COMMAND_NAME_PATTERN } from "../../../schemas/commands.ts";
import type { PluginCommands } from "../types.ts";
import { describeValue } from "../_describe.ts";

/**
 * Returns a frozen copy of `commands`, or undefined when there are none.
 *
 * @throws {TypeError} naming the command and what is wrong with it.
 */
export function checkCommands(commands: unknown): PluginCommands | undefined {
  if (commands === undefined) return undefined;
  if (typeof commands !== "object" || commands === null || Array.isArray(commands)) {
    throw new TypeError(`definePlugin({ commands }): commands must be an object of name -> { run, description? }, got ${describeValue(commands)}`);
  }
  const copy: Record<string, PluginCommands[string]> = {};
  for (const [name, command] of Object.entries(commands)) {
    if (!COMMAND_NAME_PATTERN.test(name)) {
      throw new TypeError(`definePlugin({ commands }): ${JSON.stringify(name)} is not a command name; use lowercase letters, digits and hyphens, starting with a letter, like "export"`);
    }
    const { run, description } = (command ?? {}) as { run?: unknown; description?: unknown };
    if (typeof command !== "object" || command === null || typeof run !== "function") {
      throw new TypeError(`definePlugin({ commands }): command "${name}" must be { run, description? } with run a function, got ${describeValue(command)}`);
    }
    if (description !== undefined && typeof description !== "string") {
      throw new TypeError(`definePlugin({ commands }): the description of command "${name}" must be a string, got ${describeValue(description)}`);
    }
    copy[name] = Object.freeze({ ...(command as PluginCommands[string]) });
  }
  return Object.freeze(copy);
}

