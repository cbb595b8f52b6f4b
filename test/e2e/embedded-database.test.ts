// End to end without DATABASE_URL: the host starts its embedded Postgres, and the notes plugin
// migrates and serves on it, as after a plain `npm start`.
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const embedded = suite<{ t: TestHost; startedInMs: number }>("embedded database");

embedded.before(async (ctx) => {
  const started = Date.now();
  ctx.t = await startTestHost({ plugins: [join(SHIPPED, "notes")], database: "embedded" });
  ctx.startedInMs = Date.now() - started;
});
embedded.after(async (ctx) => {
  await ctx.t.close();
});

embedded("the host runs notes on its embedded Postgres: migrations, a transaction, reads", async ({ t, startedInMs }) => {
  const kind = t.logs.find((r) => r.message.startsWith("initialising embedded Postgres"));
  assert.ok(kind, "the embedded server was started (no DATABASE_URL)");
  const health = t.host.health().plugins.find((p) => p.name === "notes")!;
  assert.is(health.state, "ready", health.failure ?? "");

  const created = await fetch(`${t.url}/plugins/notes/notes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title: "embedded", tags: ["pg18"] }),
  });
  assert.is(created.status, 201, await created.clone().text());
  const note = await created.json() as { id: string; tags: string[] };
  assert.equal(note.tags, ["pg18"]);
  const listed = await (await fetch(`${t.url}/plugins/notes/notes`)).json() as { total: number; notes: Array<{ id: string }> };
  assert.is(listed.total, 1);
  assert.is(listed.notes[0]!.id, note.id);

  const status = await fetch(`${t.url}/admin/plugins/notes/migrations`, { headers: { authorization: `Bearer ${t.host.adminToken}` } });
  assert.equal(await status.json(), { applied: ["0001_notes", "0002_note_tags"], pending: [], executed: [] });
  assert.ok(startedInMs < 15_000, `started in ${startedInMs} ms`);
});

embedded.run();
