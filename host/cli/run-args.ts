/**
 * Parses `corral run`'s arguments: options first, then `<plugin>:<command>`, then the command's
 * own arguments, passed on untouched (its `--help` included). Pure.
 */
import { COMMAND_NAME_PATTERN } from "../../schemas/commands.ts";
import { optionValue, UsageError } from "./cli.ts";

/** What `corral run ...` asks for. */
export type RunArgs =
  | { readonly kind: "help" }
  | { readonly kind: "list" }
  | {
    readonly kind: "run";
    readonly plugin: string;
    readonly command: string;
    readonly args: readonly string[];
    readonly verbose: boolean;
    /** Milliseconds, or undefined for no limit. */
    readonly timeoutMs: number | undefined;
  };

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/**
 * @throws {UsageError} for an unknown option, a bad --timeout, a missing or malformed target.
 */
export function parseRunArgs(args: readonly string[]): RunArgs {
  let verbose = false;
  let timeoutMs: number | undefined;
  let index = 0;
  while (index < args.length) {
    const arg = args[index]!;
    if (arg === "--") {
      index++;
      break;
    }
    if (!arg.startsWith("-")) break;
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "--list") return { kind: "list" };
    if (arg === "--verbose") {
      verbose = true;
      index++;
    } else if (arg === "--timeout" || arg.startsWith("--timeout=")) {
      const { value, next } = optionValue(args, index, "--timeout");
      const seconds = Number(value);
      if (value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
        throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(value)}`);
      }
      timeoutMs = Math.min(Math.ceil(seconds * 1000), 2 ** 31 - 1);
      index = next;
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(arg)} for "corral run" (options go before <plugin>:<command>; ` +
        "what comes after it goes to the command)");
    }
  }
  const target = args[index];
  if (target === undefined) throw new UsageError("missing <plugin>:<command>, e.g. corral run notes:export");
  const colon = target.indexOf(":");
  const plugin = colon < 0 ? target : target.slice(0, colon);
  const command = colon < 0 ? "" : target.slice(colon + 1);
  if (colon < 0 || command === "") {
    throw new UsageError(`${JSON.stringify(target)} names no command: write <plugin>:<command>, e.g. ${plugin || "notes"}:export ` +
      `(corral commands ${plugin} lists them)`);
  }
  if (!PLUGIN_NAME.test(plugin)) throw new UsageError(`${JSON.stringify(plugin)} is not a plugin name (lowercase letters, digits and hyphens)`);
  if (!COMMAND_NAME_PATTERN.test(command)) throw new UsageError(`${JSON.stringify(command)} is not a command name (lowercase letters, digits and hyphens)`);
  return { kind: "run", plugin, command, args: args.slice(index + 1), verbose, timeoutMs };
}
