/**
 * The host's telemetry in one object, made once per host (host.ts): Prometheus metrics, the
 * dashboard's request series, and OpenTelemetry traces when an OTLP endpoint is configured.
 * It is the middleware's ExchangeObserver and gives each plugin database its QueryObserver.
 */
import type { QueryObserver } from "../db/query-observer.ts";
import type { HealthReport } from "../health.ts";
import type { AccessRecord } from "../http/middleware/access-log.ts";
import type { Exchange } from "../http/middleware/exchange.ts";
import type { ExchangeObserver } from "../http/middleware/exchange.ts";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { HostTracing } from "../tracing/host-tracing.ts";
import { tracingConfigFromEnv } from "../tracing/tracing-config.ts";
import { HostMetrics } from "./host-metrics.ts";
import { type MetricsAccess, metricsAccessFromEnv } from "./metrics-access.ts";
import { RollingRequestSeries } from "./request-series.ts";

export interface TelemetryOptions {
  readonly health: () => HealthReport;
  /** The host's environment: CORRAL_METRICS, OTEL_* (see metrics-access.ts, tracing-config.ts). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostVersion: string;
  /** Where spans go instead of OTLP/HTTP, when tracing is on (benchmarks, tests). */
  readonly spanExporter?: SpanExporter;
}

export class HostTelemetry implements ExchangeObserver {
  readonly metrics: HostMetrics;
  readonly series = new RollingRequestSeries();
  /** Undefined when no OTLP endpoint is configured: then nothing is traced. */
  readonly tracing: HostTracing | undefined;
  readonly metricsAccess: MetricsAccess;
  /** Where spans go (OTLP/HTTP), when tracing is on. */
  readonly tracesUrl: string | undefined;

  /** @throws Error naming the variable when CORRAL_METRICS or an OTEL_* value is malformed. */
  constructor(options: TelemetryOptions) {
    this.metricsAccess = metricsAccessFromEnv(options.env);
    this.metrics = new HostMetrics(options.health);
    const tracing = tracingConfigFromEnv(options.env);
    this.tracing = tracing === undefined ? undefined : new HostTracing(tracing, options.hostVersion, options.spanExporter);
    this.tracesUrl = tracing?.url;
  }

  started(exchange: Exchange): void {
    this.tracing?.started(exchange);
  }

  finished(exchange: Exchange, record: AccessRecord): void {
    this.metrics.requestFinished(exchange.plugin, exchange.errorCode, record);
    if (exchange.plugin !== undefined) this.series.record(exchange.plugin, record.status, record.durationMs);
    this.tracing?.finished(exchange, record);
  }

  /** Times (and, when tracing, traces) the statements of one plugin. */
  queryObserver(plugin: string): QueryObserver {
    const metrics = this.metrics.queryObserver(plugin);
    const tracing = this.tracing;
    if (tracing === undefined) return metrics;
    return {
      started(sql, traceparent) {
        const timed = metrics.started(sql, traceparent);
        const span = traceparent === undefined ? undefined : tracing.querySpan(plugin, sql, traceparent);
        return (errorCode) => {
          timed(errorCode);
          span?.(errorCode);
        };
      },
    };
  }

  /** Forgets an uninstalled plugin's series. */
  drop(plugin: string): void {
    this.series.drop(plugin);
  }

  /** Sends the spans still buffered; call at shutdown. */
  async close(): Promise<void> {
    await this.tracing?.shutdown();
  }
}
