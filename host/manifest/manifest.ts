/** Reads a plugin's plugin.json, validates it against schemas/plugin.schema.json and resolves its paths. */
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { AnySchemaObject } from "ajv/dist/2020.js";
import semver from "semver";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import schema from "../../schemas/plugin.schema.json" with { type: "json" };
import { parseNetAddress } from "../policy.ts";
import { describeJsonSyntaxError, EXPECTED_KEYWORD, formatValidationErrors } from "./format-errors.ts";

/** Any JSON value, read-only. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object, read-only. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** The author of a plugin, in object form. */
export interface ManifestAuthor {
  readonly name: string;
  readonly email?: string;
  readonly url?: string;
}

/** What a plugin may reach; every list present, empty when the manifest grants nothing. */
export interface ManifestPermissions {
  readonly net: readonly string[];
  readonly read: readonly string[];
  readonly env: readonly string[];
}

/**
 * The limits a manifest asks for. They stay optional here on purpose: the host policy owns the
 * defaults and ceilings, and `buildLaunchPlan` applies both, so a manifest reads the same under
 * any policy.
 */
export interface ManifestLimits {
  readonly memoryMb?: number;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  /** Size of the plugin's database pool (with `database: true`), within the host's maximum. */
  readonly dbConnections?: number;
  /** Requests served at once across the plugin's instances (host/instances/). */
  readonly maxConcurrent?: number;
  /** Requests that may wait when maxConcurrent are in flight; beyond: 503 CORRAL_E_PLUGIN_BUSY. */
  readonly maxQueue?: number;
  /** CPU quota per instance over the policy's window, in percent of one core. */
  readonly cpuPercent?: number;
}

/** How many processes of the plugin may run (`instances` in plugin.json). */
export interface ManifestInstances {
  readonly min: number;
  readonly max: number;
}

/** One global request hook a manifest declares (see `Manifest.globalHooks`). */
export interface ManifestGlobalHook {
  /** Among plugins with no dependency between them, higher runs first. */
  readonly priority: number;
  readonly timeoutMs: number;
  /** URL path prefixes it runs for. */
  readonly paths: readonly string[];
}

/** The request hooks a plugin runs for everyone, by kind. */
export interface ManifestGlobalHooks {
  readonly beforeRequest?: ManifestGlobalHook;
  readonly afterRequest?: ManifestGlobalHook;
  readonly teardownRequest?: ManifestGlobalHook;
}

/** Events a plugin emits and receives. */
export interface ManifestEvents {
  readonly emits: readonly string[];
  /** Names, or prefixes ending in ".*". */
  readonly subscribes: readonly string[];
  readonly queueSize: number;
}

/** An extension point a plugin owns. */
export interface ManifestExtensionPoint {
  readonly description?: string;
  readonly timeoutMs: number;
}

/** A valid plugin.json with its defaults applied. Frozen, all the way down. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly author?: string | ManifestAuthor;
  readonly license?: string;
  /** Relative to the plugin folder; "mod.ts" when the manifest says nothing. */
  readonly entry: string;
  readonly hostApi: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly permissions: ManifestPermissions;
  readonly limits: ManifestLimits;
  readonly database: boolean;
  readonly config: JsonObject;
  readonly globalHooks: ManifestGlobalHooks;
  readonly events: ManifestEvents;
  readonly extensionPoints: Readonly<Record<string, ManifestExtensionPoint>>;
  readonly contributes: readonly string[];
  readonly commands: Readonly<Record<string, { readonly description?: string }>>;
  /** Present when the plugin may use the host's cache. */
  readonly cache?: { readonly maxBytes: number };
  /** Entry files (relative to the plugin folder) the host bundles and minifies at load; empty when none. */
  readonly assets: readonly string[];
  /** No process until the first request; stopped after `idleTimeoutMs` without one. */
  readonly lazy: boolean;
  /** For a lazy plugin; the host policy's default when left out. */
  readonly idleTimeoutMs?: number;
  /** Default `{ min: 1, max: min }`. */
  readonly instances: ManifestInstances;
  /**
   * Host services beyond the sandbox the plugin may call (`"health"`); loaded manifests always
   * have it (empty when none). Optional so manifests built in code need not name it.
   */
  readonly host?: readonly HostServiceGrant[];
}

/** The host services a manifest's `host` field may name. */
export type HostServiceGrant = "health";

/** A manifest with the places it names resolved on disk. */
export interface LoadedManifest {
  readonly manifest: Manifest;
  /** The plugin folder's real path (symlinks resolved). */
  readonly dir: string;
  /** plugin.json's path as the caller named it (used in messages). */
  readonly file: string;
  /** The entry module's real path, inside `dir`. */
  readonly entryPath: string;
  /** The real paths of `permissions.read`, in manifest order, each inside `dir`. */
  readonly readPaths: readonly string[];
}

/** The manifest's file name inside a plugin folder. */
export const MANIFEST_FILE = "plugin.json";

/**
 * Loads and checks the manifest of the plugin in `pluginDir`.
 *
 * @throws CorralError MANIFEST_INVALID when plugin.json is missing, is not JSON, breaks the
 *   schema (one line per problem: file, JSON path, expectation, bad value) or names a missing
 *   entry or read path; POLICY_DENIED when the entry or a read path leaves the plugin folder
 *   (`..`, an absolute path, or a symlink that points out).
 *
 * @example
 * ```ts
 * const { manifest, entryPath } = await loadManifest("plugins/hello");
 * ```
 */
export async function loadManifest(pluginDir: string): Promise<LoadedManifest> {
  const file = join(pluginDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID,
      `${file}: cannot read the manifest: ${(error as Error).message}`, { cause: error });
  }
  const manifest = parseManifest(text, file);
  const dir = await realpath(pluginDir);
  const entryPath = await resolveInside(dir, manifest.entry, "entry", file);
  if (!(await stat(entryPath)).isFile()) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID, `${file}: /entry: "${manifest.entry}" is not a file (${entryPath})`);
  }
  const readPaths: string[] = [];
  for (const [index, path] of manifest.permissions.read.entries()) {
    readPaths.push(await resolveInside(dir, path, `permissions/read/${index}`, file));
  }
  return Object.freeze({ manifest, dir, file, entryPath, readPaths: Object.freeze(readPaths) });
}

/**
 * Parses and validates plugin.json text; `file` only names it in messages. Pure: touches no disk.
 *
 * @throws CorralError MANIFEST_INVALID, one line per problem.
 */
export function parseManifest(text: string, file: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID, `${file}: not valid JSON: ${describeJsonSyntaxError(text, error)}`);
  }
  if (!validateManifest(data)) {
    const lines = formatValidationErrors(validateManifest.errors ?? []);
    throw new CorralError(ErrorCode.MANIFEST_INVALID, lines.map((line) => `${file}: ${line}`).join("\n"));
  }
  const instances = (data as ManifestFile).instances;
  if (instances?.min !== undefined && instances.max !== undefined && instances.max < instances.min) {
    throw new CorralError(ErrorCode.MANIFEST_INVALID,
      `${file}: /instances/max: expected at least /instances/min (${instances.min}), got ${instances.max}`);
  }
  return withDefaults(data as ManifestFile);
}

/** plugin.json as written, after schema validation. */
interface ManifestFile {
  name: string;
  version: string;
  description?: string;
  author?: string | ManifestAuthor;
  license?: string;
  entry?: string;
  hostApi: string;
  dependencies?: Record<string, string>;
  permissions?: Partial<ManifestPermissions>;
  limits?: ManifestLimits;
  database?: boolean;
  config?: JsonObject;
  globalHooks?: { [K in keyof ManifestGlobalHooks]?: Partial<ManifestGlobalHook> };
  events?: Partial<ManifestEvents>;
  extensionPoints?: Record<string, Partial<ManifestExtensionPoint>>;
  contributes?: string[];
  commands?: Record<string, { description?: string }>;
  cache?: { maxBytes?: number };
  assets?: string[];
  lazy?: boolean;
  idleTimeoutMs?: number;
  instances?: Partial<ManifestInstances>;
  host?: HostServiceGrant[];
}

function withDefaults(file: ManifestFile): Manifest {
  const { cache, instances, ...plain } = file;
  const manifest: Manifest = {
    ...plain,
    entry: file.entry ?? "mod.ts",
    dependencies: file.dependencies ?? {},
    permissions: {
      net: file.permissions?.net ?? [],
      read: file.permissions?.read ?? [],
      env: file.permissions?.env ?? [],
    },
    limits: file.limits ?? {},
    database: file.database ?? false,
    config: file.config ?? {},
    globalHooks: Object.fromEntries(Object.entries(file.globalHooks ?? {}).map(([kind, hook]) =>
      [kind, { priority: hook?.priority ?? 0, timeoutMs: hook?.timeoutMs ?? 1000, paths: hook?.paths ?? ["/"] }])),
    events: {
      emits: file.events?.emits ?? [],
      subscribes: file.events?.subscribes ?? [],
      queueSize: file.events?.queueSize ?? 100,
    },
    extensionPoints: Object.fromEntries(Object.entries(file.extensionPoints ?? {}).map(([name, point]) =>
      [name, { ...point, timeoutMs: point.timeoutMs ?? 1000 }])),
    contributes: file.contributes ?? [],
    commands: file.commands ?? {},
    ...(cache === undefined ? {} : { cache: { maxBytes: cache.maxBytes ?? 1024 * 1024 } }),
    assets: file.assets ?? [],
    lazy: file.lazy ?? false,
    instances: { min: instances?.min ?? 1, max: instances?.max ?? instances?.min ?? 1 },
    host: file.host ?? [],
  };
  return deepFreeze(manifest);
}

/**
 * The real path of `path` (relative to `dir`), refused unless it stays inside `dir`. Checked
 * before and after resolving symlinks: the first names the mistake in the manifest's own terms,
 * the second catches a link inside the folder that points out of it.
 */
async function resolveInside(dir: string, path: string, field: string, file: string): Promise<string> {
  const denied = (why: string) => new CorralError(ErrorCode.POLICY_DENIED,
    `${file}: /${field}: "${path}" ${why}; a plugin may only use paths inside its own folder (${dir})`);
  if (isAbsolute(path)) throw denied("is an absolute path");
  const lexical = resolve(dir, path);
  if (!isInside(dir, lexical)) throw denied("leaves the plugin folder");
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : `cannot be resolved (${code ?? (error as Error).message})`;
    throw new CorralError(ErrorCode.MANIFEST_INVALID, `${file}: /${field}: "${path}" ${why} (looked for ${lexical})`);
  }
  if (!isInside(dir, real)) throw denied(`resolves through a symlink to ${real}, outside the plugin folder`);
  return real;
}

function isInside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// Compiled once at module load; validating a manifest then costs microseconds.
// allowUnionTypes: "author" is a string or an object, and says so with type: ["string", "object"].
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: EXPECTED_KEYWORD, schemaType: "string" });
// semver.valid() also takes "v1.2.3" and " 1.2.3"; a manifest should carry the plain form.
ajv.addFormat("semver", { type: "string", validate: (text: string) => /^\d/.test(text) && semver.valid(text) !== null });
// validRange("") is "*": an empty hostApi is more likely a mistake than a wish for any version.
ajv.addFormat("semver-range", { type: "string", validate: (text: string) => text.trim() !== "" && semver.validRange(text) !== null });
ajv.addFormat("net-address", { type: "string", validate: (text: string) => parseNetAddress(text) !== null });
const validateManifest = ajv.compile<unknown>(schema as AnySchemaObject);
