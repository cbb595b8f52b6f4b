/**
 * The effective instance, queue and CPU settings of one plugin: what its manifest asks for,
 * the host policy's defaults where it asks nothing, refused where it asks over a ceiling. Pure.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Manifest } from "../manifest/manifest.ts";
import type { HostPolicy } from "../policy.ts";
import { forcedLazy } from "./scaling-policy.ts";

export interface PoolSettings {
  /** No process until the first request or call; back to none after `idleTimeoutMs`. */
  readonly lazy: boolean;
  /** Why it is lazy: its manifest or the host policy's `scaling.forceLazy`; null when it is not. */
  readonly lazySource: "manifest" | "policy" | null;
  readonly idleTimeoutMs: number;
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Requests in flight across all instances. */
  readonly maxConcurrent: number;
  /** Requests waiting for a slot; beyond it: 503 CORRAL_E_PLUGIN_BUSY. */
  readonly maxQueue: number;
  /** CPU quota per instance (100 = one core), null when there is none. */
  readonly cpuPercent: number | null;
  readonly cpuWindowMs: number;
  readonly scaleUpQueueDepth: number;
  readonly scaleDownIdleMs: number;
}

/**
 * @throws CorralError POLICY_DENIED listing every value over its policy ceiling.
 *
 * @example
 * ```ts
 * resolvePoolSettings(manifest, defaultPolicy()); // { lazy: false, minInstances: 1, maxConcurrent: 100, ... }
 * ```
 */
export function resolvePoolSettings(manifest: Manifest, policy: HostPolicy): PoolSettings {
  const problems: string[] = [];
  const over = (field: string, asked: number, ceilingName: string, ceiling: number) => {
    if (asked > ceiling) problems.push(`${field}: ${asked} is over the host policy's ceiling limits.${ceilingName} (${ceiling})`);
  };
  const { limits, defaults } = policy;
  const asked = manifest.limits;
  const maxConcurrent = asked.maxConcurrent ?? defaults.maxConcurrent;
  const maxQueue = asked.maxQueue ?? defaults.maxQueue;
  const cpuPercent = asked.cpuPercent ?? defaults.cpuPercent;
  if (asked.maxConcurrent !== undefined) over("/limits/maxConcurrent", asked.maxConcurrent, "maxConcurrent", limits.maxConcurrent);
  if (asked.maxQueue !== undefined) over("/limits/maxQueue", asked.maxQueue, "maxQueue", limits.maxQueue);
  if (asked.cpuPercent !== undefined) over("/limits/cpuPercent", asked.cpuPercent, "maxCpuPercent", limits.maxCpuPercent);
  over("/instances/max", manifest.instances.max, "maxInstances", limits.maxInstances);
  if (problems.length > 0) {
    throw new CorralError(ErrorCode.POLICY_DENIED, `plugin "${manifest.name}" asks for more than the host policy allows:\n` +
      problems.map((line) => `  ${line}`).join("\n"));
  }
  const byPolicy = forcedLazy(policy.scaling, manifest.name);
  const lazySource = manifest.lazy ? "manifest" : byPolicy ? "policy" : null;
  return {
    lazy: lazySource !== null,
    lazySource,
    idleTimeoutMs: manifest.idleTimeoutMs ?? defaults.idleTimeoutMs,
    minInstances: manifest.instances.min,
    maxInstances: manifest.instances.max,
    maxConcurrent,
    maxQueue,
    cpuPercent: cpuPercent > 0 ? cpuPercent : null,
    cpuWindowMs: limits.cpuWindowMs,
    scaleUpQueueDepth: policy.scaling.scaleUpQueueDepth,
    scaleDownIdleMs: policy.scaling.scaleDownIdleMs,
  };
}
