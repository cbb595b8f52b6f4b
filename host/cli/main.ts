/**
 * Entry point of the `corral` CLI (`npx corral <command>`, or
 * `node --import tsx host/cli/main.ts`): hands the process's arguments, streams and environment to
 * runCli, turns SIGINT and SIGTERM into an abort (a second one exits at once), and exits with the
 * subcommand's code once the output is written. Holds no logic of its own.
 */
import { ExitCode } from "./cli.ts";
import { runCli } from "./dispatch.ts";

const controller = new AbortController();
let signals = 0;
const onSignal = () => {
  if (++signals > 1) process.exit(ExitCode.INTERRUPTED);
  controller.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
// Exit once stdout and stderr have taken everything (pipes or files may be slower than us).
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
