/**
 * The notes plugin's HTML pages: the list of notes with a form to add one. Server-rendered with
 * the plugin's Handlebars templates (templates/), styled by static/notes.css, the form protected
 * by the host's CSRF check (its hidden `_csrf` field comes from `{{csrf_field}}`).
 *
 * @module
 */

import { type PluginEnv, render } from "@corral/sdk";
import { Hono } from "hono";
import type { Context } from "hono";
import type { Database } from "./schema.ts";
import { announceNote } from "./announce.ts";
import { createNote, listNotes } from "./store.ts";
import { InvalidRequest, parseNewNote } from "./validate.ts";

type Env = PluginEnv<Database>;

/** How many notes the page shows, newest first. */
const PAGE_SIZE = 50;

export const pages = new Hono<Env>();

pages.get("/", (c) => listPage(c));

// A browser form posts url-encoded fields; tags are one comma-separated field.
pages.post("/", async (c) => {
  const form = await c.req.parseBody();
  const fields = { title: String(form.title ?? ""), body: String(form.body ?? ""), tags: splitTags(String(form.tags ?? "")) };
  try {
    const note = await createNote(c.env.db, parseNewNote(fields.title === "" ? { ...fields, title: undefined } : fields));
    await announceNote(c.env, note);
    // Post/redirect/get: reloading the page does not post the form again. Relative, because the
    // plugin does not know where the host mounts it: it resolves against /plugins/notes/.
    return c.redirect(`./?created=${note.id}`, 303);
  } catch (error) {
    if (!(error instanceof InvalidRequest)) throw error;
    return listPage(c, { error: error.message, form: { ...fields, tags: fields.tags.join(", ") } }, 422);
  }
});

async function listPage(c: Context<Env>, extra: Record<string, unknown> = {}, status: 200 | 422 = 200): Promise<Response> {
  const [{ notes, total }, sidebar] = await Promise.all([
    listNotes(c.env.db, { limit: PAGE_SIZE, offset: 0 }),
    sidebarBoxes(c.env),
  ]);
  return render(c, "index", { title: "Notes", notes, total, sidebar, created: c.req.query("created"), ...extra }, status);
}

/** What other plugins contribute to the `notes.sidebar` extension point; a broken contributor is left out. */
async function sidebarBoxes(env: Env["Bindings"]): Promise<Array<{ plugin: string; title: string; text: string }>> {
  const contributions = await env.extensions.gather<{ title?: unknown; text?: unknown }>("notes.sidebar");
  return contributions.flatMap((entry) =>
    "value" in entry && entry.value !== null && typeof entry.value === "object"
      ? [{ plugin: entry.plugin, title: String(entry.value.title ?? entry.plugin), text: String(entry.value.text ?? "") }]
      : []);
}

function splitTags(text: string): string[] {
  return text.split(",").map((tag) => tag.trim()).filter((tag) => tag !== "");
}
