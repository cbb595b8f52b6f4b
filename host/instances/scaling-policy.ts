/**
 * The host policy's `scaling` section: which plugins the operator makes lazy whatever their
 * manifest says, and when the pool adds or removes instances. The per-plugin ceilings and
 * defaults (maxInstances, maxConcurrent, cpuPercent...) sit with the other limits in policy.ts.
 */
import { EXPECTED_KEYWORD } from "../manifest/format-errors.ts";

export interface ScalingPolicy {
  /** Plugin names started lazily whatever their manifest says; `"*"` means every plugin. */
  readonly forceLazy: readonly string[];
  /**
   * Requests in flight or queued per running instance beyond which another instance starts
   * (up to the plugin's `instances.max`).
   */
  readonly scaleUpQueueDepth: number;
  /** How long an instance above the plugin's `instances.min` may sit without requests before it is stopped. */
  readonly scaleDownIdleMs: number;
}

export function defaultScalingPolicy(): ScalingPolicy {
  return { forceLazy: [], scaleUpQueueDepth: 4, scaleDownIdleMs: 30_000 };
}

/** Whether the policy makes `name` lazy. */
export function forcedLazy(policy: ScalingPolicy, name: string): boolean {
  return policy.forceLazy.includes("*") || policy.forceLazy.includes(name);
}

export const SCALING_POLICY_SCHEMA = {
  description: "Lazy loading forced by the host, and when extra plugin instances start and stop.",
  type: "object", additionalProperties: false,
  [EXPECTED_KEYWORD]: "an object {\"forceLazy\"?, \"scaleUpQueueDepth\"?, \"scaleDownIdleMs\"?}",
  properties: {
    forceLazy: {
      description: "Plugins started only by their first request, whatever their manifest says; \"*\" for all.",
      type: "array", uniqueItems: true, [EXPECTED_KEYWORD]: "an array of plugin names or \"*\"",
      items: { type: "string", pattern: "^(\\*|[a-z][a-z0-9-]*)$", [EXPECTED_KEYWORD]: "a plugin name like \"blog\", or \"*\"" },
    },
    scaleUpQueueDepth: {
      description: "Requests in flight or waiting per instance beyond which another instance starts.",
      type: "integer", minimum: 1, maximum: 100_000, [EXPECTED_KEYWORD]: "an integer from 1 to 100000 (requests)",
    },
    scaleDownIdleMs: {
      description: "Idle time after which an instance above the plugin's minimum is stopped.",
      type: "integer", minimum: 100, maximum: 86_400_000, [EXPECTED_KEYWORD]: "an integer from 100 to 86400000 (milliseconds)",
    },
  },
};
