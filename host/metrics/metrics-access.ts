/**
 * Who may scrape /metrics. The numbers name every plugin, its traffic, errors and resources:
 * an outsider learns the site's shape from them, so by default they are for authenticated
 * callers only, like the admin API. CORRAL_METRICS chooses:
 *
 * - `token` (default): `Authorization: Bearer <token>` of any admin API caller whose role has
 *   `observe.read` (admin, operator, viewer). Prometheus sends it with `authorization:` in its
 *   scrape config.
 * - `public`: no credential, for hosts whose port only the monitoring network reaches.
 * - `off`: no /metrics at all (404).
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
export type MetricsAccess = "token" | "public" | "off";

/** @throws CorralError ENVIRONMENT naming CORRAL_METRICS and the accepted values when the value is another. */
export function metricsAccessFromEnv(env: Readonly<Record<string, string | undefined>>): MetricsAccess {
  const value = env.CORRAL_METRICS?.trim().toLowerCase() || "token";
  if (value === "token" || value === "public" || value === "off") return value;
  throw new CorralError(ErrorCode.ENVIRONMENT, `CORRAL_METRICS must be token, public or off, got ${JSON.stringify(env.CORRAL_METRICS)}`);
}
