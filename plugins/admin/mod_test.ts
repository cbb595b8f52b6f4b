/** Unit tests of the admin menu: contributions checked, filtered by roles. @module */

import { deepStrictEqual } from "node:assert/strict";
import { pagesOf, visiblePages } from "./menu.ts";

Deno.test("contributions become pages; malformed ones are left out", () => {
  const pages = pagesOf([
    { plugin: "notes", value: { title: "Notes", href: "/plugins/notes/admin/", roles: ["admin"] } },
    { plugin: "shop", value: [{ title: "Orders", href: "/plugins/shop/orders", roles: ["operator", "admin"] }, { title: "bad" }] },
    { plugin: "evil", value: { title: "Elsewhere", href: "//evil.example/", roles: ["user"] } },
    { plugin: "broken", error: { code: "CORRAL_E_CALL_TIMEOUT" } },
  ]);
  deepStrictEqual(pages.map((page) => page.title), ["Notes", "Orders"]);
});

Deno.test("the menu shows only the pages the user's roles may see", () => {
  const pages = pagesOf([
    { plugin: "notes", value: { title: "Notes", href: "/n", roles: ["admin"] } },
    { plugin: "shop", value: { title: "Orders", href: "/o", roles: ["operator", "admin"] } },
  ]);
  deepStrictEqual(visiblePages(pages, ["user", "admin"]).map((page) => page.title), ["Notes", "Orders"]);
  deepStrictEqual(visiblePages(pages, ["user", "operator"]).map((page) => page.title), ["Orders"]);
  deepStrictEqual(visiblePages(pages, ["user"]), []);
});
