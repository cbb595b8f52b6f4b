/** The host's own version, from package.json: what plugins' `hostApi` ranges are checked against. */
import { readFileSync } from "node:fs";

export const HOST_VERSION: string = (JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string }).version;
