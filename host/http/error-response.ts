/**
 * Turns a CorralError into the HTTP answer a client gets: a status, a JSON body
 * `{ "error": { "code", "message" } }`, and Retry-After where waiting helps.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { ErrorCodeValue } from "../../schemas/errors.ts";
import { UnavailableError } from "../supervisor.ts";

const STATUS_BY_CODE: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.REQUEST_TIMEOUT]: 504,
  [ErrorCode.BODY_TOO_LARGE]: 413,
  [ErrorCode.REQUEST_ABORTED]: 400,
  [ErrorCode.ADMIN_AUTH]: 401,
  [ErrorCode.CSRF]: 403,
  [ErrorCode.PLUGIN_UNAVAILABLE]: 503,
  [ErrorCode.PLUGIN_FAILED]: 503,
  [ErrorCode.SHUTTING_DOWN]: 503,
  [ErrorCode.PLUGIN_NOT_FOUND]: 404,
  [ErrorCode.PLUGIN_CRASHED]: 502,
  [ErrorCode.HANDLER_FAILED]: 502,
  [ErrorCode.RESPONSE_TOO_LARGE]: 502,
  [ErrorCode.PROTOCOL_VIOLATION]: 502,
  [ErrorCode.STATIC_REFUSED]: 403,
  [ErrorCode.STATIC_NOT_FOUND]: 404,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.HOOK_FAILED]: 503,
  [ErrorCode.PLUGIN_DISABLED]: 503,
  [ErrorCode.HAS_DEPENDENTS]: 409,
  [ErrorCode.MIGRATIONS_MISSING]: 409,
  [ErrorCode.INSTALL_TOO_LARGE]: 413,
  [ErrorCode.OPERATION_INVALID]: 400,
  [ErrorCode.ADMIN_FORBIDDEN]: 403,
  [ErrorCode.ADMIN_NOT_FOUND]: 404,
  [ErrorCode.ADMIN_CONFLICT]: 409,
  [ErrorCode.LOGIN_RATE_LIMITED]: 429,
  [ErrorCode.INSPECTOR_FAILED]: 502,
  [ErrorCode.PROFILE_INVALID]: 400,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.PLUGIN_BUSY]: 503,
  [ErrorCode.REGISTRY_AUTH]: 401,
  [ErrorCode.REGISTRY_FORBIDDEN]: 403,
  [ErrorCode.REGISTRY_INVALID]: 400,
  [ErrorCode.REGISTRY_NOT_FOUND]: 404,
  [ErrorCode.REGISTRY_CONFLICT]: 409,
  [ErrorCode.REGISTRY_SIGNATURE]: 422,
  [ErrorCode.REGISTRY_KEY_CHANGED]: 409,
  [ErrorCode.REGISTRY_UNREACHABLE]: 502,
  [ErrorCode.ACCESS_UNAUTHENTICATED]: 401,
  [ErrorCode.ACCESS_FORBIDDEN]: 403,
  [ErrorCode.PACKAGE_INVALID]: 400,
  [ErrorCode.PACKAGE_UNTRUSTED]: 403,
  [ErrorCode.PERMISSION_ESCALATION]: 409,
};

export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The answer for `error`; anything that is not a CorralError is a 500 that hides its details. */
export function errorAnswer(error: unknown): ErrorAnswer {
  const corral = error instanceof CorralError
    ? error
    : new CorralError(ErrorCode.HANDLER_FAILED, "internal error in the Corral host; see the host log");
  const status = error instanceof CorralError ? STATUS_BY_CODE[corral.code] ?? 500 : 500;
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  };
  if (error instanceof UnavailableError) headers["retry-after"] = String(error.retryAfterSeconds);
  else if (status === 503) headers["retry-after"] = "5";
  return { status, headers, body: JSON.stringify({ error: corral.toJSON() }) };
}

/** The CORRAL_E_... code a client is answered with for `error` (as errorAnswer decides it). */
export function errorCodeOf(error: unknown): string {
  return error instanceof CorralError ? error.code : ErrorCode.HANDLER_FAILED;
}
