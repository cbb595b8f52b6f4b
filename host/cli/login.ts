/**
 * `corral login --registry URL` and `corral logout --registry URL`: keep a registry token in the
 * user's credentials file (host/cli/credentials.ts) so publish and the other registry commands
 * need no CORRAL_REGISTRY_TOKEN. The token comes from stdin (--token-stdin) or a prompt that does
 * not echo, never from the command line, where shell history and `ps` would keep it.
 */
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { credentialsPath, forgetToken, saveToken } from "./credentials.ts";
import { colours, parseCommandArgs, writeJson } from "./options.ts";
import { registryUrl } from "./registry-target.ts";

const LOGIN_HELP = `Usage: npx corral login --registry URL [--token-stdin] [--json]

Saves a registry token for URL in the user's credentials file, after checking it with the
registry (GET /api/account). corral publish and the other registry commands use it when
CORRAL_REGISTRY_TOKEN is unset. The token is asked for without echo on a terminal, or read from
stdin with --token-stdin (e.g. from a password manager: pass show corral | npx corral login ...).
It is never an argument: shell history and ps would keep it.

The registry's operator makes accounts and their tokens: npx corral registry account <name>
[--role reviewer] (the token is printed once).

File: $XDG_CONFIG_HOME/corral/credentials.json, else ~/.config/corral/credentials.json, mode 0600
in a 0700 folder. A file other users can read is refused, not used (chmod 600 it, or log out).

Options:
  --registry URL    the registry (default CORRAL_REGISTRY_URL)
  --token-stdin     read the token from stdin
  --json            print {"registry","account","role","file"}
  -h, --help        show this help

Exit codes: 0 logged in, 2 usage (no token given), 3 the registry refused the token or is
unreachable, or the file cannot be written (nothing is saved).
`;

const LOGOUT_HELP = `Usage: npx corral logout --registry URL

Forgets the token saved for URL by corral login (the token itself stays valid on the registry;
its operator can replace it). Exit codes: 0 done (also when none was saved), 2 usage, 3 the
credentials file cannot be written.

Options:
  --registry URL    the registry (default CORRAL_REGISTRY_URL)
  -h, --help        show this help
`;

/** All of stdin, trimmed. */
async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stdin) text += chunk.toString();
  return text.trim();
}

/** Reads a line from a terminal without echoing it. */
function promptHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream, question: string): Promise<string> {
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return (finish(), resolve(value.trim()));
        if (ch === "\u0003" || ch === "\u0004") return (finish(), reject(new UsageError("login cancelled; nothing saved")));
        value = ch === "\u007f" || ch === "\b" ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on("data", onData);
  });
}

export const login: CliCommand = {
  name: "login",
  summary: "save a registry token for publish and the registry commands",
  help: LOGIN_HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("login", args, { registry: { type: "string" }, "token-stdin": { type: "boolean" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(LOGIN_HELP), ExitCode.OK);
    if (positionals.length > 0) throw new UsageError("corral login takes no arguments: the token is read from stdin (--token-stdin) or asked for, never an argument");
    const url = registryUrl(values.registry, context);
    const stdin = context.stdin ?? process.stdin;
    const tty = (stdin as NodeJS.ReadStream).isTTY === true;
    let token: string;
    if (values["token-stdin"]) token = await readAll(stdin);
    else if (tty) token = await promptHidden(stdin as NodeJS.ReadStream, context.stderr, `token for ${url}: `);
    else throw new UsageError("stdin is not a terminal: pipe the token with --token-stdin");
    if (token === "") throw new UsageError("no token given; the registry's operator makes one with npx corral registry account <name>");
    if (/\s/.test(token)) throw new UsageError("a registry token has no spaces or line breaks; give the token alone");
    const { RegistryClient } = await import("../registry-client/registry-client.ts");
    const account = await new RegistryClient({ url, token }).account();
    const file = credentialsPath(context.env);
    await saveToken(file, url, { token, account: account.name, savedAt: new Date().toISOString() });
    if (values.json) writeJson(context, { registry: url, account: account.name, role: account.role, file });
    else context.stdout.write(`${colours(context.stdout, context.env).green("logged in")} to ${url} as ${account.name} (${account.role}); token saved in ${file}\n`);
    return ExitCode.OK;
  },
};

export const logout: CliCommand = {
  name: "logout",
  summary: "forget the registry token corral login saved",
  help: LOGOUT_HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("logout", args, { registry: { type: "string" } });
    if (values.help) return (context.stdout.write(LOGOUT_HELP), ExitCode.OK);
    if (positionals.length > 0) throw new UsageError("corral logout takes no arguments (--registry URL)");
    const url = registryUrl(values.registry, context);
    const file = credentialsPath(context.env);
    const forgotten = await forgetToken(file, url);
    context.stdout.write(forgotten ? `logged out of ${url}; its token is gone from ${file}\n` : `no token saved for ${url} in ${file}; nothing to do\n`);
    return ExitCode.OK;
  },
};
