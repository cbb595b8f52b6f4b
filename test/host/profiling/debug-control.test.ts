/** Debug control against a stand-in plugin: one action at a time per plugin, clear failures. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { startDebugging, stopDebugging } from "../../../host/profiling/debug-control.ts";
import type { Debuggable } from "../../../host/profiling/debug-control.ts";
import type { PluginState } from "../../../host/supervisor.ts";

/** Records setInspector calls; each takes a few ms, like a restart, and the URL appears after. */
function standIn(name: string, state: PluginState = "ready") {
  const log: string[] = [];
  let on = false;
  const plugin: Debuggable & { log: string[] } = {
    name, log,
    get state() { return state; },
    get inspecting() { return on; },
    get inspectorUrl() { return on && state === "ready" ? "ws://127.0.0.1:9229/abc" : undefined; },
    async setInspector(value: boolean, reason: string) {
      log.push(`begin ${value} ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      on = value;
      log.push(`end ${value}`);
    },
  };
  return plugin;
}

test("the answer names the WebSocket URL and a devtools:// URL for it", async () => {
  const plugin = standIn("dbg-a");
  const info = await startDebugging(plugin);
  assert.equal(info, { plugin: "dbg-a", url: "ws://127.0.0.1:9229/abc", devtoolsUrl: "devtools://devtools/bundled/js_app.html?ws=127.0.0.1:9229/abc" });
});

test("actions on one plugin never interleave", async () => {
  const plugin = standIn("dbg-b");
  await Promise.all([startDebugging(plugin, "first"), stopDebugging(plugin, "second"), startDebugging(plugin, "third")]);
  assert.equal(plugin.log, ["begin true first", "end true", "begin false second", "end false", "begin true third", "end true"]);
});

test("a plugin that is not running: INSPECTOR_FAILED naming its state, and the next action still runs", async () => {
  const failed = standIn("dbg-c", "failed");
  try {
    await startDebugging(failed);
    assert.unreachable("no URL from a failed plugin");
  } catch (error) {
    assert.instance(error, CorralError);
    assert.is((error as CorralError).code, ErrorCode.INSPECTOR_FAILED);
    assert.match((error as Error).message, /plugin "dbg-c" is failed/);
  }
  await stopDebugging(failed);
  assert.is(failed.inspecting, false);
});

test.run();
