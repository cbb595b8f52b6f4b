/**
 * The answer of /health/ready, the endpoint a load balancer should poll: ready once the host has
 * started its plugins and is not shutting down; with `?plugins=a,b`, only when those plugins are
 * ready too. Other plugins' states never make the host unready: one broken plugin must not take
 * the whole host out of rotation. Pure.
 */

export interface Readiness {
  readonly ready: boolean;
  readonly status: "ready" | "starting" | "stopping";
  /** Required plugins that are not ready, with their state ("missing" when not installed). */
  readonly notReady: readonly { readonly name: string; readonly state: string }[];
}

export function readiness(input: {
  readonly started: boolean;
  readonly stopping: boolean;
  readonly plugins: readonly { readonly name: string; readonly state: string }[];
  /** The `plugins` query: comma-separated names; missing or empty requires none. */
  readonly required?: string | undefined;
}): Readiness {
  const names = (input.required ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "");
  const notReady = names
    .map((name) => ({ name, state: input.plugins.find((p) => p.name === name)?.state ?? "missing" }))
    .filter((p) => p.state !== "ready");
  const status = input.stopping ? "stopping" : input.started ? "ready" : "starting";
  return { ready: status === "ready" && notReady.length === 0, status, notReady };
}
