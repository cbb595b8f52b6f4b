/**
 * Events and extension points wired for one host: registers the services `events.emit` and
 * `extensions.gather`, turns supervisor state changes into `corral.plugin.*` events, and exposes
 * what the rest of the host calls (uninstall, a future plugin manager, /health).
 */
import type { Logger } from "../logger.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import type { PluginState } from "../supervisor.ts";
import { warnAboutDeclarations } from "./declarations.ts";
import { EventBus, type EventCounters } from "./event-bus.ts";
import { type ExtensionPointCounters, ExtensionPoints } from "./extension-points.ts";
import { emitLifecycle, lifecycleOfState } from "./lifecycle.ts";
import { registerEventServices } from "./services.ts";

/** What /health shows about events and extension points. */
export interface EventsHealth extends EventCounters {
  readonly extensionPoints: Readonly<Record<string, ExtensionPointCounters>>;
}

export interface HostEvents {
  /** Call from every supervisor's `onStateChange`: emits `loaded` / `failed`, and resumes or drops its deliveries. */
  stateChanged(name: string, state: PluginState): void;
  /** A plugin was uninstalled (already stopped and removed from the plugins): emits `unloaded` and forgets it. */
  unloaded(supervisor: PluginHandle, reason: string): void;
  /**
   * For the plugin manager: emits `corral.plugin.enabled` once it has enabled `supervisor`
   * (before starting it, so subscribers see `enabled` then `loaded`).
   */
  enabled(supervisor: PluginHandle, reason?: string): void;
  /** For the plugin manager: emits `corral.plugin.disabled` once it has stopped `supervisor`. */
  disabled(supervisor: PluginHandle, reason?: string): void;
  /** Logs what is odd in the manifests (contributions to undeclared points...); call once plugins are loaded. */
  checkDeclarations(): void;
  health(): EventsHealth;
}

/**
 * @param plugins The host's supervisors by name, read live: plugins added or removed later are seen.
 */
export function createHostEvents(input: {
  readonly services: ServiceRegistry;
  readonly plugins: ReadonlyMap<string, PluginHandle>;
  readonly log: Logger;
}): HostEvents {
  const { plugins, log } = input;
  const peers = () => plugins.values();
  const bus = new EventBus(peers, log);
  const points = new ExtensionPoints(peers, log);
  registerEventServices(input.services, bus, points);
  return {
    stateChanged(name, state) {
      const supervisor = plugins.get(name);
      if (supervisor === undefined) return; // being uninstalled: unloaded() speaks for it
      const event = lifecycleOfState(supervisor, state);
      if (event !== undefined) emitLifecycle(bus, event.kind, supervisor, state, event.reason);
      bus.stateChanged(name);
    },
    unloaded(supervisor, reason) {
      bus.forget(supervisor.name);
      emitLifecycle(bus, "unloaded", supervisor, "uninstalled", reason);
    },
    enabled: (supervisor, reason) => emitLifecycle(bus, "enabled", supervisor, supervisor.state, reason),
    disabled: (supervisor, reason) => emitLifecycle(bus, "disabled", supervisor, supervisor.state, reason),
    checkDeclarations: () => warnAboutDeclarations(peers(), log),
    health: () => ({ ...bus.counters(), extensionPoints: points.counters() }),
  };
}
