/** Stand-ins for supervisors in the events and extension points unit tests: a manifest, a state and scripted entry points. */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { EventPeer } from "../../host/events/peer.ts";
import { Logger, type LogRecord } from "../../host/logger.ts";
import { parseManifest } from "../../host/manifest/manifest.ts";
import type { PluginState } from "../../host/supervisor.ts";

/** Answers one entry point call; the default resolves with null. */
export type Answer = (method: string, payload: unknown, timeoutMs: number) => Promise<unknown>;

export interface FakePeer extends EventPeer {
  state: PluginState;
  answer: Answer;
  /** Every call the peer got, in order. */
  readonly calls: Array<{ method: string; payload: unknown; timeoutMs: number }>;
  /** Calls in progress now, and the most there ever were at once. */
  readonly inFlight: { now: number; max: number };
}

/** A peer named `name` with the given manifest fields (events, extensionPoints, contributes...). */
export function fakePeer(name: string, fields: Record<string, unknown> = {}, answer?: Answer): FakePeer {
  const manifest = parseManifest(JSON.stringify({ name, version: "1.0.0", hostApi: "^0.1.0", ...fields }), `${name}/plugin.json`);
  const inFlight = { now: 0, max: 0 };
  const peer: FakePeer = {
    name,
    version: "1.0.0",
    manifest,
    state: "ready",
    grants: { timeoutMs: 1000 },
    answer: answer ?? (() => Promise.resolve(null)),
    calls: [],
    inFlight,
    async call(method, payload, timeoutMs) {
      if (peer.state !== "ready") throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${name}" is ${peer.state}, not ready`);
      peer.calls.push({ method, payload, timeoutMs });
      inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      try {
        return await peer.answer(method, payload, timeoutMs);
      } finally {
        inFlight.now--;
      }
    },
  };
  return peer;
}

/** A logger that keeps its records. */
export function recordingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { log: new Logger({ level: "debug", sink: (_line, record) => records.push(record) }), records };
}

/** A promise and the functions that settle it. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets queued promise callbacks and microtasks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
