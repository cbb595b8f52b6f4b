/**
 * What hello remembers of the notes.created events it received: the last few titles and a
 * count, kept in memory (a restart forgets them).
 *
 * @module
 */

import type { PluginEvent } from "@corral/sdk";

const KEEP = 10;

/** The note titles seen, newest first, and how many events arrived since start. */
export const activity = { seen: 0, recent: [] as Array<{ id: string; title: string; at: string }> };

/** The `notes.created` handler. */
export function onNoteCreated(event: PluginEvent): void {
  const payload = (event.payload ?? {}) as { id?: unknown; title?: unknown };
  activity.seen++;
  activity.recent.unshift({ id: String(payload.id ?? ""), title: String(payload.title ?? ""), at: event.time });
  activity.recent.length = Math.min(activity.recent.length, KEEP);
}

/** hello's box on the notes page (the `notes.sidebar` extension point). */
export function sidebarBox(): { title: string; text: string } {
  const last = activity.recent[0];
  return {
    title: "Hello says",
    text: last === undefined
      ? "No notes created since hello started."
      : `${activity.seen} note(s) created since hello started; the latest is "${last.title}".`,
  };
}
