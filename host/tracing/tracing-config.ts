/**
 * When and where the host exports traces: only when the operator names an OTLP endpoint, with the
 * standard OpenTelemetry variables. Read from the host's environment (HostConfig.env), not
 * process.env, so each host (and each test host) has its own.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/** Resolved tracing settings; undefined from tracingConfigFromEnv means "do not trace". */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly url: string;
  /** Extra headers for the collector (OTEL_EXPORTER_OTLP_HEADERS / …_TRACES_HEADERS), e.g. an API key. */
  readonly headers: Readonly<Record<string, string>>;
  /** service.name on every span (OTEL_SERVICE_NAME, default "corral"). */
  readonly serviceName: string;
  /** Largest time a batch of spans waits before it is sent (OTEL_BSP_SCHEDULE_DELAY, default 5000 ms). */
  readonly scheduleDelayMs: number;
  /**
   * Which requests are traced (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG): by default every
   * request, unless the client's traceparent says it is not sampled (parentbased_always_on).
   */
  readonly sampler: SamplerConfig;
}

export type SamplerName =
  | "always_on" | "always_off" | "traceidratio"
  | "parentbased_always_on" | "parentbased_always_off" | "parentbased_traceidratio";

export interface SamplerConfig {
  readonly name: SamplerName;
  /** The fraction of traces kept by the *traceidratio samplers, 0 to 1. */
  readonly ratio: number;
}

const SAMPLERS: readonly SamplerName[] = [
  "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
];

/**
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given; OTEL_EXPORTER_OTLP_ENDPOINT gets
 * "/v1/traces" appended, as the OpenTelemetry specification says. OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn tracing off.
 *
 * @throws CorralError ENVIRONMENT naming the variable when a value is malformed.
 */
export function tracingConfigFromEnv(env: Readonly<Record<string, string | undefined>>): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  if (env.OTEL_TRACES_EXPORTER !== undefined && env.OTEL_TRACES_EXPORTER.trim().toLowerCase() === "none") return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let url: string;
  let variable: string;
  if (traces) {
    url = traces;
    variable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  } else if (base) {
    url = base.replace(/\/+$/, "") + "/v1/traces";
    variable = "OTEL_EXPORTER_OTLP_ENDPOINT";
  } else {
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CorralError(ErrorCode.ENVIRONMENT, `${variable} must be an http(s) URL such as http://collector:4318, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CorralError(ErrorCode.ENVIRONMENT, `${variable} must be an http(s) URL (the host exports OTLP over HTTP only), got ${JSON.stringify(url)}`);
  }
  const delay = env.OTEL_BSP_SCHEDULE_DELAY === undefined || env.OTEL_BSP_SCHEDULE_DELAY === "" ? 5000 : Number(env.OTEL_BSP_SCHEDULE_DELAY);
  if (!Number.isInteger(delay) || delay < 0) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `OTEL_BSP_SCHEDULE_DELAY must be a whole number of milliseconds, got ${JSON.stringify(env.OTEL_BSP_SCHEDULE_DELAY)}`);
  }
  const samplerName = (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || "parentbased_always_on") as SamplerName;
  if (!SAMPLERS.includes(samplerName)) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(", ")}, got ${JSON.stringify(env.OTEL_TRACES_SAMPLER)}`);
  }
  const ratio = env.OTEL_TRACES_SAMPLER_ARG === undefined || env.OTEL_TRACES_SAMPLER_ARG.trim() === "" ? 1 : Number(env.OTEL_TRACES_SAMPLER_ARG);
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (the fraction of traces kept), got ${JSON.stringify(env.OTEL_TRACES_SAMPLER_ARG)}`);
  }
  return {
    url,
    headers: {
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS"),
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
    },
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "corral",
    scheduleDelayMs: delay,
    sampler: { name: samplerName, ratio },
  };
}

/** "api-key=abc,x-tenant=t%201" -> { "api-key": "abc", "x-tenant": "t 1" } (values URL-decoded, as the spec says). */
function parseHeaders(value: string | undefined, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value.trim() === "") return out;
  for (const pair of value.split(",")) {
    const equals = pair.indexOf("=");
    const name = pair.slice(0, equals).trim();
    if (equals < 1 || name === "") throw new CorralError(ErrorCode.ENVIRONMENT, `${variable} must be a list of name=value pairs separated by commas, got ${JSON.stringify(value)}`);
    try {
      out[name.toLowerCase()] = decodeURIComponent(pair.slice(equals + 1).trim());
    } catch {
      throw new CorralError(ErrorCode.ENVIRONMENT, `${variable}: the value of "${name}" is not valid percent-encoding`);
    }
  }
  return out;
}
