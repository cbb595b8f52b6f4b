/**
 * The admin menu: contributions to `admin.pages`, checked and filtered by the user's roles. A
 * contribution that is not `{title, href, roles}` (or an array of them) is left out: one broken
 * contributor does not break the menu.
 *
 * @module
 */

/** One entry of the menu. */
export interface AdminPage {
  readonly plugin: string;
  readonly title: string;
  readonly href: string;
  readonly roles: readonly string[];
}

/** A gathered contribution: `{ plugin, value }` or `{ plugin, error }`. */
export type Gathered = { readonly plugin: string; readonly value?: unknown; readonly error?: unknown };

function pageOf(plugin: string, value: unknown): AdminPage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { title, href, roles } = value as Record<string, unknown>;
  if (typeof title !== "string" || typeof href !== "string" || !href.startsWith("/") || href.startsWith("//")) return undefined;
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => typeof role === "string")) return undefined;
  return { plugin, title, href, roles };
}

/** The valid pages of `gathered`. */
export function pagesOf(gathered: readonly Gathered[]): AdminPage[] {
  return gathered.flatMap(({ plugin, value }) =>
    (Array.isArray(value) ? value : [value]).map((item) => pageOf(plugin, item)).filter((page) => page !== undefined));
}

/** The pages someone with `roles` may see, by title. */
export function visiblePages(pages: readonly AdminPage[], roles: readonly string[]): AdminPage[] {
  return pages.filter((page) => page.roles.some((role) => roles.includes(role))).sort((a, b) => a.title.localeCompare(b.title));
}
