/**
 * Command-line handling shared by the long-running scripts (`npm run fuzz`, `npm run load:faults`):
 * `--help` prints the script's usage, and numeric options are checked against their lower bound,
 * a bad one ending the script with exit code 2 and the usage.
 */

/** The script's arguments, after printing `help` and exiting when `--help`/`-h` is among them. */
export function scriptArgs(help: string): readonly string[] {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(help);
    process.exit(0);
  }
  return args;
}

/**
 * The number given as `--<name> N`, or `fallback` when the option is absent. `min` is what the
 * option admits: "positive" (> 0) or "non-negative" (>= 0, where 0 switches something off).
 */
export function numberOption(args: readonly string[], help: string, name: string, fallback: number, min: "positive" | "non-negative"): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  const admitted = min === "positive" ? value > 0 : value >= 0;
  if (!Number.isFinite(value) || !admitted) {
    console.error(`--${name} needs ${min === "positive" ? "a positive number" : "a number >= 0"}, got ${JSON.stringify(args[at + 1])}\n\n${help}`);
    process.exit(2);
  }
  return value;
}
