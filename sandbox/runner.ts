/**
 * Entry point of a plugin process: wires fd 3 to a Session. Started by the Corral host only.
 *
 * The host does not run this file directly: it starts Deno with a one-line bootstrap module
 * (see `bootstrapModule` in host/permission-flags.ts) that imports this file and calls
 * `startRunner(() => import("file:///…/plugin/mod.ts"))`. A dynamic import with a literal
 * specifier is part of Deno's static module graph, so the plugin's code loads with no read
 * permission on its folder (a computed `import(url)` would need one), and it only loads when the
 * session asks for it, after the handshake: `hello` always goes out before any plugin code runs.
 *
 * @module
 */

import { openHostChannel } from "./host-channel.ts";
// Not used here: loading the SDK with the runner puts it in the startup module graph, so a plugin's
// `import "@corral/sdk"` needs no read permission on sandbox/.
import "./sdk/mod.ts";
import { ExitCode, Session } from "./session.ts";
import { reportUncaught } from "./uncaught.ts";

const NOT_BY_HAND = "corral: this is the Corral plugin runner, not meant to be run directly; " +
  "plugins are started by the Corral host (npm start).";

/**
 * Runs one plugin session over fd 3. `importPlugin` loads the plugin's entry module; the session
 * calls it once the host's `init` arrives.
 */
export function startRunner(importPlugin: () => Promise<unknown>): void {
  const channel = openHostChannel();
  if (channel === undefined) {
    console.error(NOT_BY_HAND);
    Deno.exit(ExitCode.NOT_STARTED_BY_HOST);
  }
  const session = new Session({ send: channel.send, exit: channel.exit, importModule: () => importPlugin() });
  reportUncaught((record) => session.log(record));
  channel.onData((chunk) => session.receive(chunk));
  session.start();
}

if (import.meta.main) {
  console.error(NOT_BY_HAND);
  Deno.exit(ExitCode.NOT_STARTED_BY_HOST);
}
