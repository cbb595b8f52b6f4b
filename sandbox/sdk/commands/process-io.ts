/**
 * The output streams of a command run by `corral run`: the plugin process's own stdout and
 * stderr, which the CLI passes through to its terminal. Writes are synchronous, like
 * `console.log`'s, so `io` and `console` output come out in the order they were made.
 *
 * @module
 */

import type { CommandIo } from "../types.ts";

const encoder = new TextEncoder();

/** Writes every byte of `text` (a pipe may take fewer bytes than offered in one write). */
function writeAll(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(String(text));
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/** `io` of a command in a plugin process. */
export const processIo: CommandIo = Object.freeze({
  stdout: (text: string) => writeAll(Deno.stdout, text),
  stderr: (text: string) => writeAll(Deno.stderr, text),
});
