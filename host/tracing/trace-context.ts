/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) headers, read strictly: what the host
 * passes on to a plugin, or takes as a parent, must be well formed, since it comes from clients.
 */
import type { TraceHeaders } from "../http/middleware/exchange-trace.ts";

/** version-traceid-parentid-flags, lower-case hex; version ff is invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);
/** The spec's limit is 32 list members of at most 256 characters each; 512 is what vendors send. */
const MAX_TRACESTATE = 512;

export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace flags as a number: bit 0 is "sampled". */
  readonly traceFlags: number;
}

/** The parts of a `traceparent` value, or undefined when it is missing or malformed. */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (value === undefined || value.length < 55) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16) };
}

/** A version-00 `traceparent` value. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * The client's own trace context, when it sent a valid one: what a plugin is given when the host
 * itself does not trace (then the host only parses this header).
 */
export function incomingTraceHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): TraceHeaders | undefined {
  const traceparent = headers.traceparent;
  if (typeof traceparent !== "string") return undefined;
  const parsed = parseTraceparent(traceparent);
  if (parsed === undefined) return undefined;
  const tracestate = typeof headers.tracestate === "string" && headers.tracestate.length <= MAX_TRACESTATE ? headers.tracestate : undefined;
  return {
    traceparent: formatTraceparent(parsed.traceId, parsed.spanId, parsed.traceFlags),
    ...(tracestate === undefined || tracestate === "" ? {} : { tracestate }),
  };
}
