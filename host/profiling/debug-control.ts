/**
 * The operator's debugging actions on one plugin: turn its V8 inspector on or off (a restart
 * either way, since it is a launch flag) and take CPU profiles. A profile of a plugin without the
 * inspector turns it on for the profile and off again after, so debugging never stays open by
 * accident; the state history records both restarts.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { PluginState } from "../supervisor.ts";
import { recordCpuProfile, saveCpuProfile } from "./cpu-profile.ts";
import type { CpuProfile } from "./cpu-profile.ts";

/** What debugging needs of a running plugin; the manager's `ManagedPlugin` fits (it swaps in a process with the inspector). */
export interface Debuggable {
  readonly name: string;
  readonly state: PluginState;
  readonly inspecting: boolean;
  readonly inspectorUrl: string | undefined;
  setInspector(on: boolean, reason: string): Promise<void>;
}

/** Where to attach a debugger. */
export interface InspectorInfo {
  readonly plugin: string;
  /** `ws://127.0.0.1:<port>/<id>`: the CDP endpoint (loopback only). */
  readonly url: string;
  /** Paste into Chrome's address bar; or open chrome://inspect and add 127.0.0.1:<port>. */
  readonly devtoolsUrl: string;
}

export interface ProfileResult {
  readonly plugin: string;
  readonly seconds: number;
  /** Where the host saved it. */
  readonly file: string;
  readonly profile: CpuProfile;
  /** Whether the inspector was turned on for this profile (and off again after). */
  readonly restarted: boolean;
}

/** How long to wait for Deno's "Debugger listening on" line once the process is ready. */
const URL_WAIT_MS = 3000;

/**
 * One debugging action per plugin at a time: two profiles at once would otherwise turn the
 * inspector off under each other, and a debug-on during a profile would be undone by its end.
 */
const busy = new Map<string, Promise<unknown>>();

function oneAtATime<T>(name: string, action: () => Promise<T>): Promise<T> {
  const previous = busy.get(name) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(action);
  const settled = next.catch(() => {});
  busy.set(name, settled);
  void settled.then(() => {
    if (busy.get(name) === settled) busy.delete(name);
  });
  return next;
}

/** Turns the inspector on (restarting the plugin unless it already runs with it) and says where it listens. */
export function startDebugging(plugin: Debuggable, reason = "operator: inspector turned on"): Promise<InspectorInfo> {
  return oneAtATime(plugin.name, async () => {
    await plugin.setInspector(true, reason);
    return inspectorInfo(plugin, await waitForUrl(plugin));
  });
}

/** Turns the inspector off (restarting the plugin when it was on). */
export function stopDebugging(plugin: Debuggable, reason = "operator: inspector turned off"): Promise<void> {
  return oneAtATime(plugin.name, () => plugin.setInspector(false, reason));
}

/** Profiles the plugin for `seconds` and saves the profile under `<dataDir>/profiles/`. */
export function profilePlugin(plugin: Debuggable, seconds: number, dataDir: string): Promise<ProfileResult> {
  return oneAtATime(plugin.name, () => profileNow(plugin, seconds, dataDir));
}

async function profileNow(plugin: Debuggable, seconds: number, dataDir: string): Promise<ProfileResult> {
  const restarted = !plugin.inspecting;
  if (restarted) await plugin.setInspector(true, `operator: inspector turned on for a ${seconds} s CPU profile`);
  try {
    const url = await waitForUrl(plugin);
    const profile = await recordCpuProfile(url, seconds);
    const file = await saveCpuProfile(dataDir, plugin.name, profile);
    return { plugin: plugin.name, seconds, file, profile, restarted };
  } finally {
    if (restarted) await plugin.setInspector(false, "operator: CPU profile done; inspector turned off");
  }
}

export function inspectorInfo(plugin: Debuggable, url: string): InspectorInfo {
  return { plugin: plugin.name, url, devtoolsUrl: `devtools://devtools/bundled/js_app.html?ws=${url.replace(/^ws:\/\//, "")}` };
}

async function waitForUrl(plugin: Debuggable): Promise<string> {
  const deadline = Date.now() + URL_WAIT_MS;
  for (;;) {
    const url = plugin.inspectorUrl;
    if (url !== undefined) return url;
    if (plugin.state !== "ready" && plugin.state !== "starting" && plugin.state !== "restarting") {
      throw new CorralError(ErrorCode.INSPECTOR_FAILED, `plugin "${plugin.name}" is ${plugin.state}, so its inspector is not running`);
    }
    if (Date.now() > deadline) {
      throw new CorralError(ErrorCode.INSPECTOR_FAILED,
        `plugin "${plugin.name}" is ${plugin.state} but Deno printed no inspector URL within ${URL_WAIT_MS} ms; see the plugin's log`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
