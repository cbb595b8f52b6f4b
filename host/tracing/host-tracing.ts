/**
 * The host's OpenTelemetry traces: for each request a server span (parented on the client's
 * `traceparent` when it sent one), inside it a span for the hand-off to the plugin process, whose
 * context the plugin is given, and for each database statement the plugin runs during that request
 * a span parented on it. Spans go to an OTLP/HTTP collector in batches.
 *
 * Made only when tracing is configured (tracing-config.ts): otherwise nothing here runs and a
 * request costs one header parse (incomingTraceHeaders).
 */
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type Sampler, type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { type AccessRecord, pathOf } from "../http/middleware/access-log.ts";
import type { Exchange } from "../http/middleware/exchange.ts";
import type { ExchangeObserver } from "../http/middleware/exchange.ts";
import type { ExchangeTrace, ForwardSpan } from "../http/middleware/exchange-trace.ts";
import { parseTraceparent } from "./trace-context.ts";
import type { SamplerConfig, TracingConfig } from "./tracing-config.ts";

/** Ends a statement's span; `errorCode` when it failed (a SQLSTATE or a CORRAL_E_... code). */
export type EndQuerySpan = (errorCode?: string) => void;

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: Exchange["incoming"]["headers"], key: string) => carrier[key],
  keys: (carrier: Exchange["incoming"]["headers"]) => Object.keys(carrier),
};
const SQL_IN_SPAN = 1000;

/** One traced request: its server span; forward spans start inside it. */
class RequestTrace implements ExchangeTrace {
  readonly #tracer: Tracer;
  readonly span: Span;
  readonly #context: ReturnType<typeof trace.setSpan>;

  constructor(tracer: Tracer, span: Span, spanContext: ReturnType<typeof trace.setSpan>) {
    this.#tracer = tracer;
    this.span = span;
    this.#context = spanContext;
  }

  forward(plugin: string): ForwardSpan {
    const span = this.#tracer.startSpan(`forward ${plugin}`, {
      kind: SpanKind.CLIENT,
      attributes: { "corral.plugin": plugin },
    }, this.#context);
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(this.#context, span), carrier, { set: (c, k, v) => (c[k] = v) });
    return {
      traceparent: carrier.traceparent ?? "",
      ...(carrier.tracestate === undefined ? {} : { tracestate: carrier.tracestate }),
      end(status: number, errorCode?: string) {
        span.setAttribute("http.response.status_code", status);
        if (errorCode !== undefined) {
          span.setAttribute("error.type", errorCode);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
        } else if (status >= 500) {
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }
}

export class HostTracing implements ExchangeObserver {
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;

  /** @param exporter instead of OTLP/HTTP to `config.url` (tests, benchmarks). */
  constructor(config: TracingConfig, hostVersion: string, exporter?: SpanExporter) {
    this.#provider = new BasicTracerProvider({
      sampler: samplerFor(config.sampler),
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: hostVersion }),
      spanProcessors: [new BatchSpanProcessor(exporter ?? new OTLPTraceExporter({ url: config.url, headers: { ...config.headers } }), {
        scheduledDelayMillis: config.scheduleDelayMs,
      })],
    });
    this.#tracer = this.#provider.getTracer("corral-host", hostVersion);
  }

  /** Starts the request's server span, a child of the client's trace context when it sent a valid one. */
  started(exchange: Exchange): void {
    const { incoming } = exchange;
    const parent = incoming.headers.traceparent === undefined
      ? ROOT_CONTEXT
      : propagator.extract(ROOT_CONTEXT, incoming.headers, headerGetter);
    const method = incoming.method ?? "GET";
    const span = this.#tracer.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": method, "url.path": pathOf(incoming.url), "corral.request_id": exchange.requestId },
    }, parent);
    exchange.trace = new RequestTrace(this.#tracer, span, trace.setSpan(parent, span));
  }

  /** Ends the server span with what was answered. */
  finished(exchange: Exchange, record: AccessRecord): void {
    const requestTrace = exchange.trace;
    if (!(requestTrace instanceof RequestTrace)) return;
    const { span } = requestTrace;
    const route = exchange.plugin === undefined ? undefined : `/plugins/${exchange.plugin}/*`;
    if (route !== undefined) {
      span.updateName(`${record.method} ${route}`);
      span.setAttribute("http.route", route);
      span.setAttribute("corral.plugin", exchange.plugin!);
    }
    span.setAttribute("http.response.status_code", record.status);
    if (exchange.errorCode !== undefined) span.setAttribute("error.type", exchange.errorCode);
    if (record.status >= 500 || record.status === 0) {
      span.setStatus({ code: SpanStatusCode.ERROR, ...(exchange.errorCode === undefined ? {} : { message: exchange.errorCode }) });
    }
    span.end();
  }

  /**
   * Starts a span for one statement a plugin sent during a request (`traceparent`: what the runner
   * tagged the statement with, the forward span's context). Undefined, and no span, for statements
   * outside a request (init, events) or with a malformed context.
   */
  querySpan(plugin: string, sql: string, traceparent: string): EndQuerySpan | undefined {
    const parent = parseTraceparent(traceparent);
    if (parent === undefined) return undefined;
    const parentContext = trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true });
    const operation = operationOf(sql);
    const span = this.#tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.query.text": sql.length > SQL_IN_SPAN ? `${sql.slice(0, SQL_IN_SPAN)}…` : sql,
        "corral.plugin": plugin,
      },
    }, parentContext);
    return (errorCode) => {
      if (errorCode !== undefined) {
        span.setAttribute("error.type", errorCode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
      }
      span.end();
    };
  }

  /** Sends what is buffered now. */
  flush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  /** Sends what is buffered and stops. */
  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}

/** "SELECT", "INSERT"...: the statement's first keyword, a bounded span name (never its values). */
export function operationOf(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql);
  return match === null ? "SQL" : match[1]!.toUpperCase();
}

/** The OpenTelemetry sampler an OTEL_TRACES_SAMPLER value names. */
export function samplerFor(config: SamplerConfig): Sampler {
  const root = config.name.endsWith("always_off") ? new AlwaysOffSampler()
    : config.name.endsWith("traceidratio") ? new TraceIdRatioBasedSampler(config.ratio)
    : new AlwaysOnSampler();
  return config.name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}
