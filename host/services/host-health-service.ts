/**
 * The host service `host.health`: the host's /health report, plus each plugin's request counts of
 * the last 30 minutes, for a plugin whose manifest says `"host": ["health"]` (a monitoring page).
 *
 * A plugin cannot reach the host's own port (the runtime denies it), so this call is the only way
 * a plugin sees other plugins' states. Deny by default: any other caller gets CALL_DENIED, and the
 * grant shows in /health as `grants.host`.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { HealthReport } from "../health.ts";
import type { RequestSeries } from "../metrics/request-series.ts";
import { WINDOW_MS } from "../metrics/request-series.ts";
import type { ServiceRegistry } from "./registry.ts";

/** The method name a plugin calls (the SDK's `ctx.host.health()`). */
export const HOST_HEALTH_METHOD = "host.health";

/** Each plugin's requests and errors (status >= 500) over `windowSeconds`. */
export interface RequestCounts {
  readonly windowSeconds: number;
  readonly byPlugin: Readonly<Record<string, { readonly requests: number; readonly errors: number }>>;
}

/** What `host.health` answers: the /health report and the request counts. */
export interface HostHealthAnswer {
  readonly report: HealthReport;
  readonly requests: RequestCounts;
}

/** Registers `host.health`, answered from `health()` and `series`. */
export function registerHostHealthService(
  registry: ServiceRegistry,
  sources: { readonly health: () => HealthReport; readonly series: RequestSeries },
): void {
  registry.register(HOST_HEALTH_METHOD, (caller): HostHealthAnswer => {
    if (!(caller.manifest.host ?? []).includes("health")) {
      throw new CorralError(ErrorCode.CALL_DENIED,
        `plugin "${caller.name}" called "${HOST_HEALTH_METHOD}", but its plugin.json does not grant it; ` +
        `add "host": ["health"] to read the host's health report (the host's operator sees the grant in /health)`);
    }
    const report = sources.health();
    const byPlugin: Record<string, { requests: number; errors: number }> = {};
    for (const plugin of report.plugins) {
      let requests = 0;
      let errors = 0;
      for (const point of sources.series.points(plugin.name)) {
        requests += point.requests;
        errors += point.errors;
      }
      byPlugin[plugin.name] = { requests, errors };
    }
    return { report, requests: { windowSeconds: WINDOW_MS / 1000, byPlugin } };
  });
}
