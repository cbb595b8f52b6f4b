/** `corral create <name>`: scaffolds a plugin folder whose own tests pass. */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { parseCommandArgs, writeJson } from "./options.ts";

const HELP = `Usage: npx corral create <name> [--dir <folder>] [--json]

Creates the folder <name> (or --dir) with a working plugin:
  plugin.json                 the manifest (database on, no network, files or env granted)
  mod.ts                      a Hono app: "/" renders a template, "/hello" answers JSON,
                              "/visits" counts in the plugin's own table
  templates/index.hbs         the page template
  migrations.ts               the first migration (a "visits" table)
  mod_test.ts                 deno tests through @corral/sdk/testing (no host needed)
  test/integration.mjs        node tests through corral/testing (a real host, Deno, Postgres)
  README.md                   how to test, run, pack, sign and install it
  CHANGELOG.md                a section for 0.1.0; the registry shows each version's section
Its tests pass as created: npx corral test <name>   (both kinds; see corral test --help)

<name>: lower-case letters, digits and "-", starting with a letter (the manifest's rule).

Options:
  --dir <folder>  where to create it (default ./<name>); must not exist
  --json          print {"dir","files"}
  -h, --help      show this help

Exit codes: 0 created, 2 usage (bad name), 3 the folder exists or cannot be written.
`;

/**
 * The first version's changelog. A publish reads the section whose heading names the version
 * (host/packages/changelog.ts); starting with one shows the author the shape to keep.
 */
function changelog(today: string): string {
  return `# Changelog

Each version gets a section headed with its number before it is published, newest first
(e.g. \`## [0.2.0] - ${today}\`): the registry shows that section with the version.

## [0.1.0] - ${today}
- First version, made by \`npx corral create\`: a page, \`/hello\` and a visit counter.
`;
}

function files(name: string, corralRoot: string, today: string): Record<string, string> {
  return {
    "CHANGELOG.md": changelog(today),
    "plugin.json": `${JSON.stringify({
      name, version: "0.1.0", description: `The ${name} plugin.`, hostApi: "^0.1.0", database: true, config: { greeting: "Hello" },
    }, null, 2)}\n`,
    "mod.ts": `/** The ${name} plugin: a page, a JSON route and a counter in its own database table. @module */
import { definePlugin, type PluginEnv, render } from "@corral/sdk";
import { Hono } from "hono";
import { migrations, type Database } from "./migrations.ts";

export type { Database } from "./migrations.ts";

const app = new Hono<PluginEnv<Database>>();

app.get("/", (c) => render(c, "index", { greeting: c.env.config.greeting, name: c.env.name }));

app.get("/hello", (c) => c.json({ message: \`\${c.env.config.greeting} from \${c.env.name}\` }));

app.post("/visits", async (c) => {
  const row = await c.env.db.insertInto("visits").values({ path: "/" }).returning("id").executeTakeFirstOrThrow();
  return c.json({ id: Number(row.id) }, 201);
});

export default definePlugin<Database>({ app, migrations });
`,
    "migrations.ts": `/** The plugin's migrations, applied in name order before it starts. Never edit an applied one. @module */
import type { PluginMigrations } from "@corral/sdk";
import type { Generated } from "kysely";

export interface Database {
  visits: { id: Generated<string>; path: string };
}

export const migrations: PluginMigrations = {
  "0001_visits": {
    async up(db) {
      await db.schema.createTable("visits")
        .addColumn("id", "bigserial", (col) => col.primaryKey())
        .addColumn("path", "text", (col) => col.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("visits").execute();
    },
  },
};
`,
    "templates/index.hbs": `<!doctype html>
<html><head><title>{{name}}</title></head>
<body><h1>{{greeting}} from {{name}}</h1></body></html>
`,
    "mod_test.ts": `/** Tests through @corral/sdk/testing: the plugin runs in-process, no host needed. @module */
import { strictEqual, match } from "node:assert/strict";
import { fakeDatabase, testPlugin } from "@corral/sdk/testing";
import plugin, { type Database } from "./mod.ts";

Deno.test("${name}: /hello answers with the configured greeting", async () => {
  await using running = await testPlugin(plugin, { name: "${name}", config: { greeting: "Hi" }, migrate: false, db: fakeDatabase<Database>().db });
  const response = await running.fetch("/hello");
  strictEqual(response.status, 200);
  strictEqual((await response.json()).message, "Hi from ${name}");
});

Deno.test("${name}: / renders the page template", async () => {
  await using running = await testPlugin(plugin, {
    name: "${name}", config: { greeting: "Hello" }, migrate: false, db: fakeDatabase<Database>().db,
    templates: { "index.hbs": await Deno.readTextFile(new URL("./templates/index.hbs", import.meta.url)) },
  });
  match(await (await running.fetch("/")).text(), /<h1>Hello from ${name}<\\/h1>/);
});

Deno.test("${name}: POST /visits inserts a row", async () => {
  const fake = fakeDatabase<Database>(() => [{ id: "7" }]);
  await using running = await testPlugin(plugin, { name: "${name}", migrate: false, db: fake.db });
  const response = await running.fetch("/visits", { method: "POST" });
  strictEqual(response.status, 201);
  strictEqual((await response.json()).id, 7);
  match(fake.log[0]!.sql, /insert into "visits"/);
});
`,
    "test/integration.mjs": `/** Integration tests: the plugin on a real Corral host (a real Deno process, real Postgres). Run: npx corral test */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startHarness } from "corral/testing";

/** One host for the file: starting one takes a second or two. */
let harness;
before(async () => {
  harness = await startHarness({ plugin: new URL("..", import.meta.url) });
});
after(() => harness?.stop());

test("GET /hello answers with the greeting of plugin.json", async () => {
  const response = await harness.fetch("/hello");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: "Hello from ${name}" });
});

test("GET / renders the page template", async () => {
  const response = await harness.fetch("/");
  assert.equal(response.status, 200);
  assert.match(await response.text(), /<h1>Hello from ${name}<\\/h1>/);
});

test("POST /visits stores rows in the plugin's own table", async () => {
  const first = await (await harness.fetch("/visits", { method: "POST" })).json();
  const second = await harness.fetch("/visits", { method: "POST" });
  assert.equal(second.status, 201);
  assert.equal((await second.json()).id, first.id + 1);
});
`,
    "README.md": `# ${name}

A Corral plugin made by \`npx corral create ${name}\`.

- \`mod.ts\`: the routes (\`/\`, \`/hello\`, \`POST /visits\`); \`templates/\`: its pages;
  \`migrations.ts\`: its tables (the plugin has its own Postgres schema).
- Test: \`npx corral test .\` runs both kinds of tests:
  - \`mod_test.ts\`: \`@corral/sdk/testing\` runs the handlers in-process with a fake database, no host
    (alone: \`deno test --config ${corralRoot}/deno.json --allow-read .\`);
  - \`test/integration.mjs\`: \`startHarness\` from \`corral/testing\` starts a real host with this plugin
    (a real Deno process; Postgres from \`DATABASE_URL\`, else the embedded one) and tests it over HTTP.
- Load-test a route: \`npx corral bench . /hello\`
- Run it on a host in development mode (reloads on change): \`npx corral dev .\`
- Before publishing a new version, add its section to \`CHANGELOG.md\` (the registry shows it).
- Package, sign, check and install:

\`\`\`sh
npx corral pack .                       # ${name}-0.1.0.corral
npx corral keygen --out me              # once: me.key, me.pub (copy me.pub to the host's <dataDir>/trusted-keys/)
npx corral sign ${name}-0.1.0.corral --key me.key
npx corral verify ${name}-0.1.0.corral --trusted-keys <dir with me.pub>
npx corral install ${name}-0.1.0.corral --activate
npx corral audit .
\`\`\`
`,
  };
}

export const create: CliCommand = {
  name: "create",
  summary: "scaffold a new plugin (manifest, code, template, migration, tests, README)",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("create", args, { dir: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    const name = positionals[0];
    if (name === undefined || positionals.length > 1) throw new UsageError("corral create needs one plugin name, e.g. corral create notes");
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new UsageError(`plugin name ${JSON.stringify(name)} must be lower-case letters, digits and "-", starting with a letter`);
    const dir = resolve(context.cwd, values.dir ?? name);
    if (await stat(dir).catch(() => undefined)) {
      context.stderr.write(`corral: ${dir} exists; choose another name or --dir\n`);
      return ExitCode.CANNOT_RUN;
    }
    const corralRoot = resolve(import.meta.dirname, "../..");
    const scaffold = files(name, corralRoot, new Date().toISOString().slice(0, 10));
    for (const [path, text] of Object.entries(scaffold)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    if (values.json) writeJson(context, { dir, files: Object.keys(scaffold).sort() });
    else context.stdout.write(`${dir}\ncreated ${Object.keys(scaffold).length} files; test it: npx corral test ${dir}\n`);
    return ExitCode.OK;
  },
};
