/**
 * Tells other plugins about a new note: the `notes.created` event (declared in plugin.json's
 * `events.emits`). The note is saved whatever happens to the event: a failure is only logged.
 *
 * @module
 */

import type { PluginContext } from "@corral/sdk";
import type { Note } from "./schema.ts";

/** Emits `notes.created` with `{ id, title, tags }`; never throws. */
export async function announceNote(ctx: Pick<PluginContext, "events" | "log">, note: Pick<Note, "id" | "title"> & { tags: readonly string[] }): Promise<void> {
  try {
    await ctx.events.emit("notes.created", { id: note.id, title: note.title, tags: note.tags });
  } catch (error) {
    ctx.log.warn("could not announce a new note", { id: note.id, error: error instanceof Error ? error.message : String(error) });
  }
}
