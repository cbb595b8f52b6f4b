/**
 * The registry's browse pages: Handlebars templates (this folder's .hbs files) rendered on the
 * server inside one layout. `{{ }}` escapes every value: user text (descriptions, reviews,
 * threads, advisories) never becomes markup.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";

export type BrowsePage = "index" | "plugin" | "thread" | "missing";
const PAGES: readonly BrowsePage[] = ["index", "plugin", "thread", "missing"];

const hbs = Handlebars.create();
hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hbs.registerHelper("date", (value: unknown) => typeof value === "string" ? value.slice(0, 10) : "");
hbs.registerHelper("stars", (value: unknown) => typeof value === "number" ? "★".repeat(Math.round(value)) + "☆".repeat(5 - Math.round(value)) : "–");

const read = (name: string) => readFileSync(join(import.meta.dirname, `${name}.hbs`), "utf8");
const layout = hbs.compile(read("layout"), { strict: false });
const pages = new Map(PAGES.map((page) => [page, hbs.compile(read(page))]));

/** A whole HTML page: `page` rendered with `data`, inside the layout. */
export function renderBrowsePage(page: BrowsePage, data: Record<string, unknown>): string {
  const body = pages.get(page)!(data);
  return layout({ ...data, body });
}
