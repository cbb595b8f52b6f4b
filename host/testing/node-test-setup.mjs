// Preloaded by `npx corral test` into `node --test` (node --import <this>): TypeScript through tsx,
// as everywhere in Corral, and `corral/...` resolved to this Corral for a plugin folder anywhere
// on disk (plugin-resolve-hooks.mjs), as deno.json resolves `@corral/sdk` for the Deno side.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
register("./plugin-resolve-hooks.mjs", import.meta.url);
