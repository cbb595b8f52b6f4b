/**
 * Option parsing and output shared by the package and host-management subcommands: node:util's
 * parseArgs (strict, so an unknown option is a usage error), colours only when the stream is a
 * terminal (and NO_COLOR is unset), and a progress display: a bar on a terminal, a line per step
 * otherwise (logs and CI keep every step).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CliContext } from "./cli.ts";
import { UsageError } from "./cli.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` for `command`; `--help` is always accepted. Unknown options are usage errors. */
export function parseCommandArgs<O extends Options>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`corral ${command}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, "")}`);
  }
}

function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Whether `stream` gets colours: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function coloursOn(stream: NodeJS.WritableStream, env: CliContext["env"]): boolean {
  return isTty(stream) && (env.NO_COLOR ?? "") === "";
}

/** Colours for `stream`: ANSI on a terminal without NO_COLOR, plain text otherwise. */
export function colours(stream: NodeJS.WritableStream, env: CliContext["env"]) {
  const on = coloursOn(stream, env);
  const paint = (code: number) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { red: paint(31), green: paint(32), yellow: paint(33), bold: paint(1), dim: paint(2) };
}

/** Steps of a long operation on stderr: a redrawn bar on a terminal, one line per step otherwise. */
export function progress(context: CliContext, total: number, quiet = false): { step(label: string): void; done(): void } {
  const tty = isTty(context.stderr);
  let n = 0;
  return {
    step(label: string) {
      if (quiet) return;
      n++;
      if (!tty) {
        context.stderr.write(`[${n}/${total}] ${label}\n`);
        return;
      }
      const width = 24;
      const filled = Math.round((n / total) * width);
      context.stderr.write(`\r\u001b[2K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${n}/${total} ${label}`);
    },
    done() {
      if (tty && !quiet) context.stderr.write("\n");
    },
  };
}

/** Writes `value` as one JSON document (for --json). */
export function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A byte-count bar for an upload or a download on stderr, redrawn on a terminal only: off a
 * terminal (logs, CI, scripts) it writes nothing, the command's own lines say what happened.
 */
export function transferProgress(context: CliContext, label: string, quiet = false): { update(done: number, total: number | null): void; done(): void } {
  const on = isTty(context.stderr) && !quiet;
  let drawn = false;
  const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
  return {
    update(done, total) {
      if (!on) return;
      drawn = true;
      const width = 24;
      const filled = total === null || total === 0 ? 0 : Math.min(width, Math.round((done / total) * width));
      context.stderr.write(`\r\u001b[2K${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${kib(done)}${total === null ? "" : ` / ${kib(total)}`}`);
    },
    done() {
      if (drawn) context.stderr.write("\n");
    },
  };
}
