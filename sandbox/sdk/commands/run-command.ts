/**
 * The plugin entry point `commands.run`: runs one of the plugin's commands with its arguments and
 * answers with its exit code. A command that throws is a failed command (exit code 1 and its
 * message), not a failed call: the call itself fails only when the command does not exist.
 *
 * @module
 */

import type { CommandRunPayload, CommandRunResult } from "../../../schemas/commands.ts";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { PluginInternals } from "../_plugin-internals.ts";
import { processIo } from "./process-io.ts";
import type { CommandIo } from "../types.ts";

/**
 * Runs the command `payload` names, its output going to `io`.
 *
 * @throws {CorralError} COMMAND_UNKNOWN when the plugin's code defines no such command.
 * @throws {TypeError} when the payload is not `{ command, args }`.
 */
export async function runCommand(plugin: PluginInternals, payload: unknown, io: CommandIo = processIo): Promise<CommandRunResult> {
  const { command, args } = checkPayload(payload);
  const commands = plugin.definition.commands ?? {};
  const definition = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (definition === undefined) {
    const defined = Object.keys(commands).sort();
    throw new CorralError(ErrorCode.COMMAND_UNKNOWN,
      `plugin "${plugin.context.name}" has no command "${command}" in its code; ` +
      `define it in definePlugin({ commands: { "${command}": { run } } }) ` +
      `(defined: ${defined.length === 0 ? "none" : defined.join(", ")})`);
  }
  let returned: unknown;
  try {
    returned = await definition.run(Object.freeze([...args]), io, plugin.context);
  } catch (error) {
    return {
      exitCode: 1,
      error: error instanceof Error
        ? { message: error.message || error.name, ...(error.stack === undefined ? {} : { stack: error.stack }) }
        : { message: String(error) },
    };
  }
  if (returned === undefined) return { exitCode: 0 };
  if (typeof returned === "number" && Number.isInteger(returned) && returned >= 0 && returned <= 255) {
    return { exitCode: returned };
  }
  return {
    exitCode: 1,
    error: {
      message: `command "${command}" returned ${describe(returned)}; return an integer exit code from 0 to 255, or nothing for 0`,
    },
  };
}

function checkPayload(payload: unknown): CommandRunPayload {
  const { command, args } = (payload ?? {}) as { command?: unknown; args?: unknown };
  if (typeof command !== "string" || !Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError(`"commands.run" expects { command: string, args: string[] }, got ${JSON.stringify(payload)?.slice(0, 200)}`);
  }
  return { command, args };
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return value === null ? "null" : `a value of type ${typeof value}`;
}
