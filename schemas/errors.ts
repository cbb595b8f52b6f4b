/**
 * The catalogue of Corral's error codes, shared by the host and the sandbox.
 *
 * Only `{ code, message }` crosses the wire. A code is stable: scripts and plugins may branch on it.
 * A message says what failed, with which value, and what to do next.
 *
 * @module
 */

/** Every error code Corral produces, with one line on when it is used. */
export const ErrorCode = {
  /** plugin.json is missing, is not JSON, or does not match schemas/plugin.schema.json. */
  MANIFEST_INVALID: "CORRAL_E_MANIFEST_INVALID",
  /** The manifest asks for more than the host policy allows (a path, a host, a variable, a limit). */
  POLICY_DENIED: "CORRAL_E_POLICY_DENIED",
  /** The host policy file itself is invalid. */
  POLICY_INVALID: "CORRAL_E_POLICY_INVALID",
  /** The plugin's `hostApi` range excludes this host's version. */
  HOST_API: "CORRAL_E_HOST_API",
  /** Two plugin folders declare the same name (and so the same mount path); the one sorting first wins. */
  PLUGIN_CONFLICT: "CORRAL_E_PLUGIN_CONFLICT",
  /** A plugin depends on a plugin that is not installed. */
  DEPENDENCY_MISSING: "CORRAL_E_DEPENDENCY_MISSING",
  /** A plugin depends on a plugin whose installed version is outside the range it asks for. */
  DEPENDENCY_VERSION: "CORRAL_E_DEPENDENCY_VERSION",
  /** Plugins depend on each other in a circle; every plugin on the circle is refused. */
  DEPENDENCY_CYCLE: "CORRAL_E_DEPENDENCY_CYCLE",
  /** A plugin is held back because a plugin it needs (directly or through others) was refused or failed. */
  DEPENDENCY_BLOCKED: "CORRAL_E_DEPENDENCY_BLOCKED",
  /** The two sides speak different protocol majors, or the SDK version is not supported. */
  PROTOCOL_VERSION: "CORRAL_E_PROTOCOL_VERSION",
  /** A frame could not be decoded, was over the size cap, or broke the session's rules. */
  PROTOCOL_VIOLATION: "CORRAL_E_PROTOCOL_VIOLATION",
  /** The plugin did not say ready within its start timeout. */
  START_TIMEOUT: "CORRAL_E_START_TIMEOUT",
  /** The plugin's module failed to load or its init hook threw. */
  INIT_FAILED: "CORRAL_E_INIT_FAILED",
  /** The plugin's entry module does not default-export definePlugin(...). */
  ENTRY_INVALID: "CORRAL_E_ENTRY_INVALID",
  /** The plugin did not answer a request within its timeoutMs. */
  REQUEST_TIMEOUT: "CORRAL_E_REQUEST_TIMEOUT",
  /** The request body is over the plugin's maxBodyBytes. */
  BODY_TOO_LARGE: "CORRAL_E_BODY_TOO_LARGE",
  /** The plugin's response body is over the host's limit. */
  RESPONSE_TOO_LARGE: "CORRAL_E_RESPONSE_TOO_LARGE",
  /** The plugin process is not running (starting, restarting, crashed) and cannot answer now. */
  PLUGIN_UNAVAILABLE: "CORRAL_E_PLUGIN_UNAVAILABLE",
  /** The plugin crashed too often and the host stopped restarting it. */
  PLUGIN_FAILED: "CORRAL_E_PLUGIN_FAILED",
  /** The plugin process ended while a request was in flight. */
  PLUGIN_CRASHED: "CORRAL_E_PLUGIN_CRASHED",
  /** No plugin is mounted under that name. */
  PLUGIN_NOT_FOUND: "CORRAL_E_PLUGIN_NOT_FOUND",
  /** The host is shutting down and takes no new requests. */
  SHUTTING_DOWN: "CORRAL_E_SHUTTING_DOWN",
  /** A plugin handler threw; the message is the plugin's own, never a stack trace. */
  HANDLER_FAILED: "CORRAL_E_HANDLER_FAILED",
  /** The request body could not be read (the client went away or sent a broken body). */
  REQUEST_ABORTED: "CORRAL_E_REQUEST_ABORTED",
  /** The admin API was called without the right bearer token. */
  ADMIN_AUTH: "CORRAL_E_ADMIN_AUTH",
  /** A browser request (with cookies) that changes something came without the CSRF token, or from another site. */
  CSRF: "CORRAL_E_CSRF",
  /** Something the host needs is missing on this machine (a binary, a folder). */
  ENVIRONMENT: "CORRAL_E_ENVIRONMENT",
  /** Postgres refused or failed a plugin's statement; the error also carries Postgres' SQLSTATE. */
  DB_QUERY_FAILED: "CORRAL_E_DB_QUERY",
  /** The database cannot be reached, or a connection could not be had in time. */
  DB_UNAVAILABLE: "CORRAL_E_DB_UNAVAILABLE",
  /** The plugin has more queries in flight and queued than its cap allows. */
  DB_TOO_MANY_QUERIES: "CORRAL_E_DB_TOO_MANY_QUERIES",
  /** A query, commit or rollback named a transaction id that is not open for this plugin. */
  DB_TRANSACTION_UNKNOWN: "CORRAL_E_DB_TRANSACTION_UNKNOWN",
  /** A migration (the host's own or a plugin's) failed; the message names it. */
  MIGRATION_FAILED: "CORRAL_E_MIGRATION_FAILED",
  /** The data folder is in use by another running host (its embedded Postgres holds the lock). */
  DATA_DIR_LOCKED: "CORRAL_E_DATA_DIR_LOCKED",
  /** A plugin called a host service its manifest does not grant (an event it does not emit...). */
  CALL_DENIED: "CORRAL_E_CALL_DENIED",
  /** A call named a method the other side does not have (or the plugin did not define). */
  CALL_UNKNOWN: "CORRAL_E_CALL_UNKNOWN",
  /** A call's method threw or answered something unusable; the message is the callee's. */
  CALL_FAILED: "CORRAL_E_CALL_FAILED",
  /** A call was not answered in time. */
  CALL_TIMEOUT: "CORRAL_E_CALL_TIMEOUT",
  /** A static file path was refused by its shape: traversal, encoded separators, NUL, backslash, absolute. */
  STATIC_REFUSED: "CORRAL_E_STATIC_REFUSED",
  /** No static file at that path (also: dotfiles, the manifest, symlinks leaving the folder, stale fingerprints). */
  STATIC_NOT_FOUND: "CORRAL_E_STATIC_NOT_FOUND",
  /** The HTTP method is not allowed there (static files take GET and HEAD only). */
  METHOD_NOT_ALLOWED: "CORRAL_E_METHOD_NOT_ALLOWED",
  /** A plugin's `assets` could not be bundled; the message names the file and esbuild's error. */
  ASSET_BUILD_FAILED: "CORRAL_E_ASSET_BUILD",
  /** A plugin rendered a template that is in neither its templates/ folder nor the host's overrides. */
  TEMPLATE_NOT_FOUND: "CORRAL_E_TEMPLATE_NOT_FOUND",
  /** A template did not compile or failed while rendering (syntax, a missing partial, a helper threw). */
  TEMPLATE_FAILED: "CORRAL_E_TEMPLATE_FAILED",
  /** A global beforeRequest hook failed (threw, timed out, answered garbage, not ready): the request was refused. */
  HOOK_FAILED: "CORRAL_E_HOOK_FAILED",
  /** `corral run` named a command the plugin's manifest does not declare (or its code does not define). */
  COMMAND_UNKNOWN: "CORRAL_E_COMMAND_UNKNOWN",
  /** A cache entry (key and JSON value) is larger than the plugin's whole cache (`cache.maxBytes`). */
  CACHE_TOO_LARGE: "CORRAL_E_CACHE_TOO_LARGE",
  /** The operator disabled the plugin: it has no process and its routes answer 503 until it is enabled. */
  PLUGIN_DISABLED: "CORRAL_E_PLUGIN_DISABLED",
  /** Disabling a plugin that enabled plugins depend on, without saying what to do with them. */
  HAS_DEPENDENTS: "CORRAL_E_HAS_DEPENDENTS",
  /** Activating a version that lacks migrations already applied to the plugin's schema (no silent downgrade). */
  MIGRATIONS_MISSING: "CORRAL_E_MIGRATIONS_MISSING",
  /** An installed version's files are over the host's limit for storing them in the database. */
  INSTALL_TOO_LARGE: "CORRAL_E_INSTALL_TOO_LARGE",
  /** An operator action was refused as given: a missing or malformed field, an unknown version, a state that forbids it. */
  OPERATION_INVALID: "CORRAL_E_OPERATION_INVALID",
  /** The admin caller is authenticated, but their role lacks the permission the route needs (the message names it). */
  ADMIN_FORBIDDEN: "CORRAL_E_ADMIN_FORBIDDEN",
  /** An admin user or API token named in the request does not exist. */
  ADMIN_NOT_FOUND: "CORRAL_E_ADMIN_NOT_FOUND",
  /** An admin user of that name exists already. */
  ADMIN_CONFLICT: "CORRAL_E_ADMIN_CONFLICT",
  /** Too many failed logins for this user from this address; wait for Retry-After. */
  LOGIN_RATE_LIMITED: "CORRAL_E_LOGIN_RATE_LIMITED",
  /** The plugin's V8 inspector could not be reached or refused a command (debugging, CPU profiles). */
  INSPECTOR_FAILED: "CORRAL_E_INSPECTOR_FAILED",
  /** A CPU profile request was malformed (e.g. `seconds` not a number from 0.1 to 300). */
  PROFILE_INVALID: "CORRAL_E_PROFILE_INVALID",
  /** A request the host refuses before routing: more than one Host header, or a NUL (%00) in its path. */
  BAD_REQUEST: "CORRAL_E_BAD_REQUEST",
  /** The plugin has limits.maxConcurrent requests in flight and its queue (limits.maxQueue) is full, or a request waited its whole timeout there. */
  PLUGIN_BUSY: "CORRAL_E_PLUGIN_BUSY",
  /** Registry: no publisher token, or one the registry does not know (`Authorization: Bearer <token>`). */
  REGISTRY_AUTH: "CORRAL_E_REGISTRY_AUTH",
  /** Registry: the account's role may not do that (reviewers set review status, owners publish their own plugins). */
  REGISTRY_FORBIDDEN: "CORRAL_E_REGISTRY_FORBIDDEN",
  /** Registry: a request field is missing or malformed (the message names it and what was expected). */
  REGISTRY_INVALID: "CORRAL_E_REGISTRY_INVALID",
  /** Registry: no such plugin, version, thread or advisory. */
  REGISTRY_NOT_FOUND: "CORRAL_E_REGISTRY_NOT_FOUND",
  /** Registry: that version is published already; a published version never changes (publish a new one). */
  REGISTRY_CONFLICT: "CORRAL_E_REGISTRY_CONFLICT",
  /** Registry: a published package without a signature, or one that does not verify over its file list. */
  REGISTRY_SIGNATURE: "CORRAL_E_REGISTRY_SIGNATURE",
  /** Registry: a version signed by another key than the plugin's pinned one, without an explicit rotation (`corral publish --rotate-key`). */
  REGISTRY_KEY_CHANGED: "CORRAL_E_REGISTRY_KEY_CHANGED",
  /** Host side: the registry (CORRAL_REGISTRY_URL) could not be reached or answered something unusable. */
  REGISTRY_UNREACHABLE: "CORRAL_E_REGISTRY_UNREACHABLE",
  /** A route the plugin's manifest guards with `access` roles was asked for without a signed-in user. */
  ACCESS_UNAUTHENTICATED: "CORRAL_E_ACCESS_UNAUTHENTICATED",
  /** The signed-in user has none of the roles the plugin's `access` rule names for that route. */
  ACCESS_FORBIDDEN: "CORRAL_E_ACCESS_FORBIDDEN",
  /** A `.corral` package is malformed, or a file differs from, is missing from or is not in its file list. */
  PACKAGE_INVALID: "CORRAL_E_PACKAGE_INVALID",
  /** A package is unsigned, signed by a key the host does not trust, or its signature does not verify. */
  PACKAGE_UNTRUSTED: "CORRAL_E_PACKAGE_UNTRUSTED",
  /** An update asks for more permissions than the installed version and was not accepted explicitly. */
  PERMISSION_ESCALATION: "CORRAL_E_PERMISSION_ESCALATION",
} as const;

/** One of the values of {@linkcode ErrorCode}. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Whether `code` (e.g. read off the wire from the other side) is in the catalogue. */
export function isErrorCode(code: string): code is ErrorCodeValue {
  return KNOWN_CODES.has(code);
}

/**
 * An error with a stable code, the only kind of error that crosses between host and plugin.
 *
 * @example
 * ```ts
 * throw new CorralError(ErrorCode.MANIFEST_INVALID, "plugins/x/plugin.json: /version must be semver, got \"one\"");
 * ```
 */
export class CorralError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CorralError";
    this.code = code;
  }

  /** The wire form: code and message, nothing else. */
  toJSON(): { code: ErrorCodeValue; message: string } {
    return { code: this.code, message: this.message };
  }
}
