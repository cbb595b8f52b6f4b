/**
 * `corral registry`: runs the plugin registry (host/registry/), or creates an account on it.
 * The registry lives on the same Postgres as the host (DATABASE_URL), in its own schema.
 */
import { resolve } from "node:path";
import { Logger } from "../logger.ts";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, optionValue, UsageError } from "./cli.ts";

const HELP = `Usage: npx corral registry [--port N] [--host ADDRESS]
       npx corral registry account <name> [--role publisher|reviewer]

Runs the plugin registry: the JSON API under /api (publish, search, versions, download,
reviews, security reviews, advisories, issue and feature-request threads) and a browse page at /.
With "account": creates an account and prints its token once (only a hash is stored).
Publishers publish and own their plugins; reviewers also set security-review status and publish
advisories for any plugin.

Environment:
  DATABASE_URL               the Postgres to use (schema corral_registry); without it an embedded
                             Postgres in CORRAL_REGISTRY_DATA_DIR
  CORRAL_REGISTRY_DATA_DIR   the registry's data folder (default ./.corral-registry)
  CORRAL_REGISTRY_PORT       port (default 8090; --port wins)

Options:
  --port N         port to listen on (0: any free port)
  --host ADDRESS   address to bind (default 127.0.0.1)
  --role ROLE      with "account": publisher (default) or reviewer
  -h, --help       show this help

Exit codes: 0 stopped by SIGINT/SIGTERM or account created, 2 usage error, 3 could not start.
See docs/registry.md.
`;

export const registry: CliCommand = {
  name: "registry",
  summary: "run the plugin registry (or create an account on it)",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    if (args.includes("-h") || args.includes("--help")) return (context.stdout.write(HELP), ExitCode.OK);
    const options: Record<string, string> = {};
    const positionals: string[] = [];
    for (let i = 0; i < args.length;) {
      const arg = args[i]!;
      const name = ["--port", "--host", "--role"].find((o) => arg === o || arg.startsWith(`${o}=`));
      if (name !== undefined) {
        const { value, next } = optionValue(args, i, name);
        options[name.slice(2)] = value;
        i = next;
      } else if (arg.startsWith("-")) {
        throw new UsageError(`unknown option ${JSON.stringify(arg)} for "corral registry"`);
      } else {
        positionals.push(arg);
        i++;
      }
    }
    const logger = new Logger({ level: "info", pretty: true, sink: (line) => context.stderr.write(line + "\n") });
    const dataDir = resolve(context.cwd, context.env.CORRAL_REGISTRY_DATA_DIR || ".corral-registry");
    const databaseUrl = context.env.DATABASE_URL || undefined;
    // Loaded here, not at the top: `corral --help` should not pay for the registry's modules.
    const { openRegistryDatabase, startRegistry } = await import("../registry/start-registry.ts");

    if (positionals[0] === "account") {
      const name = positionals[1];
      if (name === undefined || positionals.length > 2) throw new UsageError(`"corral registry account" takes one account name`);
      const role = options.role ?? "publisher";
      if (role !== "publisher" && role !== "reviewer") throw new UsageError(`--role must be publisher or reviewer, got ${JSON.stringify(role)}`);
      const { createAccount } = await import("../registry/accounts.ts");
      const database = await openRegistryDatabase({ ...(databaseUrl === undefined ? {} : { databaseUrl }), dataDir, logger });
      try {
        const { token } = await createAccount(database.db, name, role);
        context.stderr.write(`created ${role} "${name}"; its token (shown once):\n`);
        context.stdout.write(`${token}\n`);
      } finally {
        await database.close();
      }
      return ExitCode.OK;
    }
    if (positionals.length > 0) throw new UsageError(`unknown "corral registry" argument ${JSON.stringify(positionals[0])}; did you mean "account <name>"?`);
    if (options.role !== undefined) throw new UsageError(`--role goes with "corral registry account <name>"`);
    const port = Number(options.port ?? context.env.CORRAL_REGISTRY_PORT ?? 8090);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(options.port ?? context.env.CORRAL_REGISTRY_PORT)}`);
    const running = await startRegistry({
      port, hostname: options.host ?? "127.0.0.1", ...(databaseUrl === undefined ? {} : { databaseUrl }), dataDir, logger,
    });
    context.stdout.write(`registry listening on ${running.url}\n`);
    await new Promise<void>((resolveStop) => {
      if (context.signal.aborted) resolveStop();
      context.signal.addEventListener("abort", () => resolveStop(), { once: true });
    });
    await running.close();
    return ExitCode.OK;
  },
};
