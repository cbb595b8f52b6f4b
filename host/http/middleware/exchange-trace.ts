/**
 * A request's trace as the forwarding path sees it: the host's span around the hand-off to the
 * plugin, and the W3C trace context the plugin is given (host/tracing/ makes them).
 */

/** The W3C trace context a plugin is given for one request (schemas/request-context.ts). */
export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** The host's span around the hand-off of a request to a plugin process. */
export interface ForwardSpan extends TraceHeaders {
  /** Ends the span with the plugin's status, or the host's error code when there was none. */
  end(status: number, errorCode?: string): void;
}

/** A traced request: its server span, from which forward spans start. */
export interface ExchangeTrace {
  forward(plugin: string): ForwardSpan;
}
