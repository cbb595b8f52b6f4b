/**
 * Entry point of `npm start`: reads the environment, starts the host, and shuts it down cleanly
 * on SIGTERM or SIGINT. Holds no logic of its own.
 */
import { CorralError } from "../schemas/errors.ts";
import { ENV_HELP, readEnvConfig } from "./config.ts";
import { startHost } from "./host.ts";
import { Logger } from "./logger.ts";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(`Usage: npm start   (node --import tsx host/main.ts)

Starts the Corral host: serves /health and every plugin at /plugins/<name>/.

${ENV_HELP}
`);
  process.exit(0);
}

try {
  const config = readEnvConfig(process.env);
  const logger = new Logger({ level: config.logLevel, pretty: process.stdout.isTTY === true });
  const host = await startHost({ ...config, logger, env: process.env });
  let signals = 0;
  const shutdown = (signal: string) => {
    // A second signal means "now": plugins die with the host (bwrap --die-with-parent / pdeathsig).
    if (++signals > 1) process.exit(130);
    void host.close(signal).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
} catch (error) {
  const message = error instanceof CorralError ? `${error.code}: ${error.message}` : (error as Error).stack ?? String(error);
  process.stderr.write(`corral: could not start the host: ${message}\n`);
  process.exit(1);
}
