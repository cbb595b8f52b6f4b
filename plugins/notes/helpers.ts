/**
 * The notes plugin's own template helpers and context processor.
 *
 * @module
 */

import type { TemplateContextProcessor } from "@corral/sdk";

/** `{{excerpt text 280}}`: the text cut at a word boundary near `max` characters (escaped by Handlebars). */
export function excerpt(text: unknown, max: unknown): string {
  const value = String(text ?? "");
  const limit = typeof max === "number" && max > 0 ? max : 280;
  if (value.length <= limit) return value;
  const cut = value.slice(0, limit);
  const space = cut.lastIndexOf(" ");
  return `${space > limit / 2 ? cut.slice(0, space) : cut}…`;
}

/** `{{isoDate date}}`: a timestamp as an ISO date and time, minute precision, UTC. */
export function isoDate(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return isNaN(date.getTime()) ? "" : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Values every page of the plugin sees: its title (from config), version and the request's id. */
export const siteValues: TemplateContextProcessor = (c, ctx) => ({
  appName: typeof ctx.config.title === "string" ? ctx.config.title : "Notes",
  pluginVersion: ctx.version,
  requestId: c?.env.request.requestId ?? "",
});
