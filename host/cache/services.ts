/**
 * The host services `cache.get`, `cache.set` and `cache.delete`: a plugin's calls to the host
 * cache, in its own namespace, refused unless its manifest has a `cache` field. Payloads come
 * from plugin code and are checked as untrusted input.
 */
import {
  cacheKeyProblem,
  cacheTtlMs,
  cacheTtlProblem,
  type CacheDeleteResult,
  type CacheGetResult,
} from "../../schemas/cache.ts";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Caller, ServiceRegistry } from "../services/registry.ts";
import type { HostCache } from "./host-cache.ts";

/** Registers the cache's services on `registry`, served from `cache`. */
export function registerCacheServices(registry: ServiceRegistry, cache: HostCache): void {
  registry.register("cache.get", (caller, payload): CacheGetResult => {
    const { key, maxBytes } = checked(caller, "cache.get", payload);
    const json = cache.get(caller.name, maxBytes, key);
    return json === undefined ? { hit: false } : { hit: true, value: JSON.parse(json) };
  });
  registry.register("cache.set", (caller, payload): null => {
    const { key, maxBytes, fields } = checked(caller, "cache.set", payload);
    if (!Object.hasOwn(fields, "value") || fields.value === undefined) {
      throw invalid("cache.set", "the payload has no value; pass a JSON value (null is one)");
    }
    const ttlProblem = cacheTtlProblem(fields.ttlSeconds);
    if (ttlProblem !== null) throw invalid("cache.set", ttlProblem);
    const ttlMs = fields.ttlSeconds === undefined ? undefined : cacheTtlMs(fields.ttlSeconds as number);
    cache.set(caller.name, maxBytes, key, JSON.stringify(fields.value), ttlMs);
    return null;
  });
  registry.register("cache.delete", (caller, payload): CacheDeleteResult => {
    const { key, maxBytes } = checked(caller, "cache.delete", payload);
    return { deleted: cache.delete(caller.name, maxBytes, key) };
  });
}

/** The caller's grant and the payload's key, or the error that refuses the call. */
function checked(caller: Caller, method: string, payload: unknown): { key: string; maxBytes: number; fields: Record<string, unknown> } {
  const grant = caller.manifest.cache;
  if (grant === undefined) {
    throw new CorralError(ErrorCode.CALL_DENIED,
      `plugin "${caller.name}" called "${method}", but its plugin.json has no "cache" field; ` +
      `add "cache": { "maxBytes": 1048576 } to use ctx.cache`);
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw invalid(method, `the payload must be an object like { "key": "..." }, got ${payload === null ? "null" : typeof payload}`);
  }
  const fields = payload as Record<string, unknown>;
  const keyProblem = cacheKeyProblem(fields.key);
  if (keyProblem !== null) throw invalid(method, keyProblem);
  return { key: fields.key as string, maxBytes: grant.maxBytes, fields };
}

function invalid(method: string, problem: string): CorralError {
  return new CorralError(ErrorCode.CALL_FAILED, `"${method}": ${problem}`);
}
