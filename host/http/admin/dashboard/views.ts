/**
 * The dashboard's pages: Handlebars templates (this folder's .hbs files) rendered on the host,
 * inside one layout. Compiled once, in an own Handlebars environment, with a few helpers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";

export type PageName = "login" | "plugins" | "plugin" | "access" | "audit" | "refused";
const PAGES: readonly PageName[] = ["login", "plugins", "plugin", "access", "audit", "refused"];
const PARTIALS = ["actions", "grants"] as const;

const hbs = Handlebars.create();
hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hbs.registerHelper("json", (value: unknown) => (value === undefined ? "" : JSON.stringify(value)));
hbs.registerHelper("bytes", (value: unknown) => formatBytes(value));

const read = (name: string) => readFileSync(join(import.meta.dirname, `${name}.hbs`), "utf8");
for (const partial of PARTIALS) hbs.registerPartial(partial, read(partial));
const layout = hbs.compile(read("layout"), { strict: false });
const pages = new Map(PAGES.map((page) => [page, hbs.compile(read(page))]));

/** A whole HTML page: `page` rendered with `data`, inside the layout. */
export function renderPage(page: PageName, data: Record<string, unknown>): string {
  const body = pages.get(page)!(data);
  return layout({ ...data, body });
}

export function formatBytes(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}
