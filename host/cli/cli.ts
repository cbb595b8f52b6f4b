/**
 * What every `corral` subcommand shares: its shape (one file per subcommand under host/cli/), the
 * exit codes, usage errors, and how an error becomes a line on stderr.
 */
import { CorralError } from "../../schemas/errors.ts";

/** Exit codes of `corral` itself; a command run by `corral run` exits with its own. */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /**
   * What was checked failed: the command run by `corral run` threw, `corral test`'s tests failed,
   * `corral bench` got not one 2xx answer, `corral audit --strict` has findings.
   */
  FAILED: 1,
  /** Bad arguments, an unknown subcommand, plugin or command: nothing was run. */
  USAGE: 2,
  /** The command could not run or finish: invalid manifest, refused by policy, start failure, crash, timeout. */
  CANNOT_RUN: 3,
  /** `corral install`/`update`: the host refused a permission escalation (accept it with --accept-permissions). */
  ESCALATION_REFUSED: 4,
  /** Interrupted by SIGINT or SIGTERM (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

/** The world a subcommand runs in; injected so subcommands never reach for globals. */
export interface CliContext {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Where `corral login` reads a token from; process.stdin when not given. */
  readonly stdin?: NodeJS.ReadableStream;
}

/** One `corral <name>` subcommand. */
export interface CliCommand {
  readonly name: string;
  /** One line for `corral --help`. */
  readonly summary: string;
  /** The whole text of `corral <name> --help`. */
  readonly help: string;
  /** Runs with the arguments after the subcommand's name; resolves with the exit code. */
  run(args: readonly string[], context: CliContext): Promise<number>;
}

/** Bad arguments: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Writes `corral: <what>` (with the code for Corral's own errors) to stderr. */
export function reportError(context: CliContext, error: unknown): void {
  const text = error instanceof CorralError ? `${error.code}: ${error.message}` : (error as Error).message ?? String(error);
  context.stderr.write(`corral: ${text}\n`);
}

/** The value of an option given as `--name value` or `--name=value`, advancing `index` past it. */
export function optionValue(args: readonly string[], index: number, name: string): { value: string; next: number } {
  const arg = args[index]!;
  if (arg.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), next: index + 1 };
  const value = args[index + 1];
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  return { value, next: index + 2 };
}
