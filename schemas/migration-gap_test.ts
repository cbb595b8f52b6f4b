/** Tests of the migration-gap wording the runner writes and the host reads back. @module */

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { describeMigrationGap, parseMigrationGap } from "./migration-gap.ts";

Deno.test("a gap survives the trip through the runner's error message, prefixed as the host sees it", () => {
  const gap = { missing: ["0002_tag", "0003_x \"quoted\""], defined: ["0001_items"] };
  const message = `Plugin "mgr-db": ${describeMigrationGap(gap)}`;
  match(message, /does not define: \["0002_tag"/);
  deepStrictEqual(parseMigrationGap(message), gap);
});

Deno.test("other messages, and a mangled gap, are not read as one", () => {
  strictEqual(parseMigrationGap('migration "0002_tag" failed: relation "x" does not exist'), undefined);
  const mangled = describeMigrationGap({ missing: ["a"], defined: [] }).replace('["a"]', "[a");
  strictEqual(parseMigrationGap(mangled), undefined);
});
