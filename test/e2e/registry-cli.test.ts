/**
 * The registry from the command line, end to end against `corral registry` in its own process
 * over real HTTP: `corral login`/`logout` (token from stdin, checked, saved 0600, used by publish,
 * refused when others can read it), signing-key pinning (another key refused with both ids,
 * `--rotate-key` recorded and shown on the API and the page), `corral search`, and the signer
 * change shown by `corral update` on a real host.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, chmod, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { corral, startCorral, type CliRun } from "../helpers/corral-cli.ts";
import { requireDatabaseUrl } from "../helpers/database.ts";
import { eventually, startTestHost, type TestHost } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import { buildTestPackage } from "../helpers/packages.ts";

const PINNED = "r2-pinned";
const NETTY = "r2-netty";
const MOD = `import { Hono } from "hono";
import { definePlugin, type PluginEnv } from "@corral/sdk";
const app = new Hono<PluginEnv>();
app.get("/", (c) => c.text("r2-pinned"));
export default definePlugin({ app });
`;

interface Ctx {
  work: string;
  config: string;
  registry: CliRun;
  url: string;
  publisher: string;
  reviewer: string;
  keys: { a: string; b: string };
  host: TestHost;
}
const test = suite<Ctx>("registry cli");
const registryDb = new pg.Pool({ connectionString: requireDatabaseUrl("registry cli"), max: 1 });
const managerAdmin = openManagerAdmin();

/** `corral ...` with the suite's own config folder (where login saves) and no token in the environment. */
function cli(ctx: Ctx, args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return corral(args, {
    pluginsDir: join(ctx.work, "none"), dataDir: join(ctx.work, "cli-data"),
    env: { XDG_CONFIG_HOME: ctx.config, ...(ctx.host === undefined ? {} : { CORRAL_URL: ctx.host.url, CORRAL_ADMIN_TOKEN: ctx.host.host.adminToken }), ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

async function forgetRegistryPlugins(): Promise<void> {
  const exists = await registryDb.query("select 1 from information_schema.tables where table_schema = 'corral_registry' and table_name = 'key_changes'");
  if (exists.rowCount === 0) return;
  for (const table of ["advisories", "reviews", "versions", "packages"]) {
    await registryDb.query(`delete from corral_registry.${table} where name = any($1)`, [[PINNED, NETTY]]);
  }
}

/** An unsigned package file of `name@version` (publish --key signs it on the way). */
async function packageFile(ctx: Ctx, name: string, version: string, permissions: Record<string, unknown> = {}): Promise<string> {
  const file = join(ctx.work, `${name}-${version}.corral`);
  const manifest = { name, version, hostApi: "^0.1.0", description: `${name} for the registry CLI suite`, permissions };
  await writeFile(file, buildTestPackage({ manifest, files: { "mod.ts": MOD, "CHANGELOG.md": `# Changelog\n\n## [${version}]\n- ${version}.\n` } }));
  return file;
}

async function account(ctx: Ctx, role: "publisher" | "reviewer"): Promise<string> {
  const made = await cli(ctx, ["registry", "account", `r2-${role}-${Date.now().toString(36)}`, "--role", role]);
  assert.is(made.code, 0, made.stderr);
  return made.stdout.trim();
}

test.before(async (ctx) => {
  await forgetRegistryPlugins();
  await forgetManagerRows(managerAdmin, [PINNED]);
  ctx.work = await mkdtemp(join(tmpdir(), "corral-r2-registry-"));
  ctx.config = join(ctx.work, "config");
  ctx.registry = startCorral(["registry", "--port", "0"], { pluginsDir: join(ctx.work, "none"), dataDir: join(ctx.work, "none") });
  ctx.url = await eventually(() => /registry listening on (\S+)/.exec(ctx.registry.output.stdout)?.[1], 30_000, `the registry to listen (${ctx.registry.output.stderr})`);
  ctx.publisher = await account(ctx, "publisher");
  ctx.reviewer = await account(ctx, "reviewer");
  for (const key of ["a", "b"]) assert.is((await cli(ctx, ["keygen", "--out", join(ctx.work, key)])).code, 0);
  // Each key's id, as corral sign reports it.
  ctx.keys = { a: "", b: "" };
  for (const key of ["a", "b"] as const) {
    const signed = await cli(ctx, ["sign", await packageFile(ctx, "r2-probe", "0.0.1"), "--key", join(ctx.work, `${key}.key`), "--json"]);
    ctx.keys[key] = JSON.parse(signed.stdout).keyId;
  }
});

test.after(async (ctx) => {
  await ctx.host?.close();
  if (ctx.registry !== undefined) {
    ctx.registry.child.kill("SIGTERM");
    await ctx.registry.done;
  }
  await forgetRegistryPlugins();
  await forgetManagerRows(managerAdmin, [PINNED]);
  await registryDb.end();
  await managerAdmin.end();
  if (ctx.work !== undefined) await rm(ctx.work, { recursive: true, force: true });
});

test("login takes the token from stdin only, checks it with the registry, and saves it 0600", async (ctx) => {
  const noStdin = await cli(ctx, ["login", "--registry", ctx.url]);
  assert.is(noStdin.code, 2, "stdin is not a terminal and --token-stdin was not given");
  assert.match(noStdin.stderr, /pipe the token with --token-stdin/);
  const asArgument = await cli(ctx, ["login", "--registry", ctx.url, ctx.publisher]);
  assert.is(asArgument.code, 2, "a token on the command line is refused");

  const wrong = await cli(ctx, ["login", "--registry", ctx.url, "--token-stdin"], { stdin: "crt_not-a-token\n" });
  assert.is(wrong.code, 3);
  assert.match(wrong.stderr, /CORRAL_E_REGISTRY_AUTH: the registry does not know this token/);
  const file = join(ctx.config, "corral", "credentials.json");
  assert.is(await stat(file).catch(() => undefined), undefined, "nothing saved for a refused token");

  const good = await cli(ctx, ["login", "--registry", ctx.url, "--token-stdin", "--json"], { stdin: `${ctx.publisher}\n` });
  assert.is(good.code, 0, good.stderr);
  const answer = JSON.parse(good.stdout);
  assert.match(answer.account, /^r2-publisher-/);
  assert.is(answer.role, "publisher");
  assert.is(answer.file, file);
  assert.is((await stat(file)).mode & 0o777, 0o600);
  assert.is((await stat(dirname(file))).mode & 0o777, 0o700);
  assert.is(JSON.parse(await readFile(file, "utf8")).registries[ctx.url].token, ctx.publisher);
});

test("publish uses the saved token; a credentials file others can read is refused; logout forgets it", async (ctx) => {
  const file = join(ctx.config, "corral", "credentials.json");
  const first = await cli(ctx, ["publish", await packageFile(ctx, PINNED, "1.0.0"), "--registry", ctx.url, "--key", join(ctx.work, "a.key")]);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`published ${PINNED}@1\\.0\\.0 .*\\n.*signed by key ${ctx.keys.a}`));

  await chmod(file, 0o644);
  const loose = await cli(ctx, ["publish", await packageFile(ctx, NETTY, "0.1.0", { net: ["api.example.com:443"] }), "--registry", ctx.url, "--key", join(ctx.work, "a.key")]);
  assert.is(loose.code, 3);
  assert.match(loose.stderr, /credentials\.json can be read by other users \(mode 0644\), so its tokens are not used: chmod 600/);
  await chmod(file, 0o600);

  const out = await cli(ctx, ["logout", "--registry", ctx.url]);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /logged out of/);
  assert.equal(JSON.parse(await readFile(file, "utf8")).registries, {});
  const noToken = await cli(ctx, ["publish", join(ctx.work, `${NETTY}-0.1.0.corral`), "--registry", ctx.url, "--key", join(ctx.work, "a.key")]);
  assert.is(noToken.code, 2);
  assert.match(noToken.stderr, /no registry token: set CORRAL_REGISTRY_TOKEN, log in to .* \(npx corral login --registry/);
  // Back in, for the rest of the suite.
  assert.is((await cli(ctx, ["login", "--registry", ctx.url, "--token-stdin"], { stdin: ctx.publisher })).code, 0);
});

test("a version signed by another key is refused with both key ids; --rotate-key pins the new key, recorded on the API and the page", async (ctx) => {
  const other = await cli(ctx, ["publish", await packageFile(ctx, PINNED, "1.1.0"), "--registry", ctx.url, "--key", join(ctx.work, "b.key")]);
  assert.is(other.code, 3);
  assert.match(other.stderr, new RegExp(`CORRAL_E_REGISTRY_KEY_CHANGED: ${PINNED}@1\\.1\\.0 is signed by key ${ctx.keys.b}, but "${PINNED}" is pinned to key ${ctx.keys.a}`));
  assert.match(other.stderr, /--rotate-key/);

  const rotated = await cli(ctx, ["publish", join(ctx.work, `${PINNED}-1.1.0.corral`), "--registry", ctx.url, "--key", join(ctx.work, "b.key"), "--rotate-key"]);
  assert.is(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, new RegExp(`signing key rotated: ${ctx.keys.a} -> ${ctx.keys.b}`));

  const plugin = await (await fetch(`${ctx.url}/api/plugins/${PINNED}`)).json() as any;
  assert.is(plugin.keyId, ctx.keys.b);
  assert.is(plugin.keyChanges.length, 1);
  assert.is(plugin.keyChanges[0].from, ctx.keys.a);
  assert.is(plugin.keyChanges[0].to, ctx.keys.b);
  assert.is(plugin.keyChanges[0].version, "1.1.0");
  assert.match(plugin.keyChanges[0].by, /^r2-publisher-/);
  assert.match(plugin.keyChanges[0].at, /^\d{4}-\d\d-\d\dT/);

  const back = await cli(ctx, ["publish", await packageFile(ctx, PINNED, "1.2.0"), "--registry", ctx.url, "--key", join(ctx.work, "a.key")]);
  assert.is(back.code, 3, "the old key is refused once rotated away");
  assert.match(back.stderr, new RegExp(`pinned to key ${ctx.keys.b}`));
  const same = await cli(ctx, ["publish", join(ctx.work, `${PINNED}-1.2.0.corral`), "--registry", ctx.url, "--key", join(ctx.work, "b.key")]);
  assert.is(same.code, 0, same.stderr);

  const page = await (await fetch(`${ctx.url}/plugins/${PINNED}`)).text();
  assert.match(page, /data-testid="key-change"><strong>signing key changed<\/strong> on .* at version 1\.1\.0/);
  assert.ok(page.includes(`<code>${ctx.keys.a}</code> → <code>${ctx.keys.b}</code>`), "both keys on the page");
});

test("search: one line per plugin with version, review status, advisories and description; filters; --json", async (ctx) => {
  assert.is((await cli(ctx, ["publish", join(ctx.work, `${NETTY}-0.1.0.corral`), "--registry", ctx.url, "--key", join(ctx.work, "a.key"), "--keywords", "r2kw"])).code, 0);
  const advisory = await fetch(`${ctx.url}/api/plugins/${NETTY}/advisories`, {
    method: "POST", headers: { authorization: `Bearer ${ctx.reviewer}`, "content-type": "application/json" },
    body: JSON.stringify({ affected: "<1.0.0", severity: "high", title: "Leaks the forecast" }),
  });
  assert.is(advisory.status, 201);
  const review = await fetch(`${ctx.url}/api/plugins/${PINNED}/versions/1.2.0/review`, {
    method: "POST", headers: { authorization: `Bearer ${ctx.reviewer}`, "content-type": "application/json" }, body: JSON.stringify({ status: "approved" }),
  });
  assert.is(review.status, 200);

  const all = await cli(ctx, ["search", "r2", "suite", "--registry", ctx.url]);
  assert.is(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split("\n").filter((l) => l.startsWith("r2-"));
  assert.equal(lines.map((l) => l.split(/\s+/).slice(0, 5).join(" ")), [
    `${NETTY} 0.1.0 unreviewed 1 advisory`,
    `${PINNED} 1.2.0 approved 0 advisories`,
  ]);
  assert.ok(lines[0]!.endsWith(`${NETTY} for the registry CLI suite`));

  const names = async (args: string[]) => {
    const found = await cli(ctx, ["search", "r2", ...args, "--registry", ctx.url, "--json"]);
    assert.is(found.code, 0, found.stderr);
    return (JSON.parse(found.stdout) as { name: string }[]).map((p) => p.name).filter((n) => n.startsWith("r2-"));
  };
  assert.equal(await names(["--no-permission", "net"]), [PINNED]);
  assert.equal(await names(["--permission", "net"]), [NETTY]);
  assert.equal(await names(["--keyword", "r2kw"]), [NETTY]);
  const json = JSON.parse((await cli(ctx, ["search", PINNED, "--registry", ctx.url, "--json"])).stdout);
  assert.is(json[0].latestReview, "approved");
  assert.is(json[0].keyId, ctx.keys.b);

  const none = await cli(ctx, ["search", "r2-no-such-thing", "--registry", ctx.url]);
  assert.is(none.code, 0);
  assert.is(none.stdout, "");
  assert.match(none.stderr, /no plugin in .* matches/);
  const badKind = await cli(ctx, ["search", "--permission", "telepathy", "--registry", ctx.url]);
  assert.is(badKind.code, 3);
  assert.match(badKind.stderr, /CORRAL_E_REGISTRY_INVALID: .*telepathy/);
  const contradiction = await cli(ctx, ["search", "--permission", "net", "--no-permission", "net", "--registry", ctx.url]);
  assert.is(contradiction.code, 2);
});

test("update from the registry shows that the signer changed, with the recorded rotation; the host's trusted keys decide", async (ctx) => {
  ctx.host = await startTestHost({ plugins: ["echo"], env: { CORRAL_REGISTRY_URL: ctx.url } });
  const trusted = join(dirname(ctx.host.pluginsDir), "data", "trusted-keys");
  await mkdir(trusted, { recursive: true });
  await copyFile(join(ctx.work, "a.pub"), join(trusted, "a.pub"));

  const installed = await cli(ctx, ["install", `${PINNED}@1.0.0`, "--activate", "--registry", ctx.url]);
  assert.is(installed.code, 0, installed.stderr);
  assert.not.match(installed.stdout, /signer changed/, "a first install has no signer to compare");

  const untrusted = await cli(ctx, ["update", `${PINNED}@1.1.0`, "--registry", ctx.url]);
  assert.is(untrusted.code, 3, "key b is not trusted by the host: the review shows the change, the host refuses");
  assert.match(untrusted.stdout, new RegExp(`signer changed: ${PINNED} 1\\.0\\.0 was signed by key ${ctx.keys.a}, 1\\.1\\.0 by key ${ctx.keys.b}; ` +
    `the owner rotated the key on \\d{4}-\\d\\d-\\d\\d \\(r2-publisher-\\w+, at 1\\.1\\.0: ${ctx.keys.a} -> ${ctx.keys.b}\\)`));
  assert.match(untrusted.stderr, new RegExp(`CORRAL_E_PACKAGE_UNTRUSTED: the package is signed by key ${ctx.keys.b}`));

  await copyFile(join(ctx.work, "b.pub"), join(trusted, "b.pub"));
  const updated = await cli(ctx, ["update", `${PINNED}@1.1.0`, "--registry", ctx.url, "--json"]);
  assert.is(updated.code, 0, updated.stderr);
  const answer = JSON.parse(updated.stdout);
  assert.equal({ from: answer.signerChange.from, to: answer.signerChange.to, installed: answer.signerChange.installed }, { from: ctx.keys.a, to: ctx.keys.b, installed: "1.0.0" });
  const same = await cli(ctx, ["update", `${PINNED}@1.2.0`, "--registry", ctx.url]);
  assert.is(same.code, 0, same.stderr);
  assert.not.match(same.stdout, /signer changed/, "1.1.0 and 1.2.0 share key b");
  assert.is(await (await fetch(`${ctx.host.url}/plugins/${PINNED}/`)).text(), "r2-pinned");
});

test.run();
