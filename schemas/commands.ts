/**
 * The commands capability's contract: what the host sends with the plugin entry point
 * `commands.run` and what the plugin answers. Shared by the host (the `corral run` CLI) and the SDK.
 *
 * @module
 */

/** Payload of `commands.run`: the command's name, as declared in plugin.json, and its arguments. */
export interface CommandRunPayload {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * What `commands.run` answers once the command has finished. Output does not travel here: the
 * command writes it to the process's stdout and stderr, which the CLI passes through as it comes.
 */
export interface CommandRunResult {
  /** 0-255: what `run` returned (0 for nothing), or 1 when it threw. */
  readonly exitCode: number;
  /** Present when `run` threw (or returned something that is not an exit code). */
  readonly error?: {
    readonly message: string;
    /** The stack, shown by `corral run --verbose` only. */
    readonly stack?: string;
  };
}

/** A command name, as plugin.schema.json allows it in `commands`. */
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9-]{0,38}$/;
